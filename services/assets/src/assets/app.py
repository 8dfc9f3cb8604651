"""Composition root of the assets service: equipment, imports and the lead times by
area, and the scheduler that fires the notices' durable timers."""

from __future__ import annotations

from pathlib import Path

from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.timers import schedule

from . import informing
from .handlers import equipment, imports
from .handlers import informing as lead_times

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

# A small service: its connections leave room for the others on the one server
# (the timer scheduler holds one of them for its LISTEN).
POOL_SIZE = 4


def build(settings: DeskSettings | None = None) -> Service:
    service = Service("assets", MIGRATIONS, settings, pool_size=POOL_SIZE)
    service.include(equipment.handlers, imports.handlers, lead_times.handlers)
    schedule(service, informing.HANDLERS)
    return service


def main() -> None:
    build().run()
