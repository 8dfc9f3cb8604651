"""Composition root of the knowledge service: the facts it keeps, articles, suggestions
and feedback, and the report."""

from __future__ import annotations

from pathlib import Path

from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings

from .handlers import articles, demo_month, facts, report, suggestions

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

# A small service: four connections (one of them the outbox relay's listener) leave the
# rest of the desk room within the server's connection limit.
POOL_SIZE = 4


def build(settings: DeskSettings | None = None) -> Service:
    service = Service("knowledge", MIGRATIONS, settings, pool_size=POOL_SIZE)
    service.include(
        facts.handlers,
        articles.handlers,
        suggestions.handlers,
        report.handlers,
        demo_month.handlers,
    )
    return service


def main() -> None:
    build().run()
