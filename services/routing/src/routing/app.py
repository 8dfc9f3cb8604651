"""Composition root of the routing service: its handlers by area and the assigner that
places queued arrivals."""

from __future__ import annotations

from pathlib import Path

from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings

from .arrivals import assigner
from .handlers import demo_month, incidents, operations, profiles, staffing

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: DeskSettings | None = None) -> Service:
    service = Service("routing", MIGRATIONS, settings)
    # Staffing comes after the areas it observes: its facts are kept in the same
    # transaction, after theirs (a fact they wait for parks the delivery first).
    service.include(
        profiles.handlers,
        incidents.handlers,
        operations.handlers,
        staffing.handlers,
        demo_month.handlers,
    )
    service.background(assigner)
    return service


def main() -> None:
    build().run()
