"""Composition root of the intake service: the process, its tables and its handlers.

Each area of `intake.handlers` declares what it handles at module level; this is the
one place they are included into the service.
"""

from __future__ import annotations

from pathlib import Path

from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings

from .handlers import categories, demo_month, entries, events, incidents, search, status

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: DeskSettings | None = None) -> Service:
    service = Service("intake", MIGRATIONS, settings)
    service.include(
        categories.handlers,
        incidents.handlers,
        entries.handlers,
        status.handlers,
        search.handlers,
        events.handlers,
        demo_month.handlers,
    )
    return service


def main() -> None:
    build().run()
