"""Composition root of the sla service: its handlers by area and the scheduler that
fires its durable timers."""

from __future__ import annotations

from pathlib import Path

from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.timers import schedule

from .handlers import contracts, demo_month, incidents, quotas, ratings, reports
from .timers import HANDLERS

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: DeskSettings | None = None) -> Service:
    service = Service("sla", MIGRATIONS, settings)
    service.include(
        incidents.handlers,
        contracts.handlers,
        reports.handlers,
        quotas.handlers,
        demo_month.handlers,
        ratings.handlers,
    )
    schedule(service, HANDLERS)
    return service


def main() -> None:
    build().run()
