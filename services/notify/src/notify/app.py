"""Composition root of the notify service: its handlers by area, the notifier they queue
deliveries with, and the sender that delivers them."""

from __future__ import annotations

from pathlib import Path

from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings

from . import deliveries
from .handlers import (
    accounts,
    demo_month,
    equipment,
    facts,
    incidents,
    log,
    packages,
    preferences,
    sla,
)
from .sender import run_sender

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: DeskSettings | None = None) -> Service:
    service = Service("notify", MIGRATIONS, settings)
    service.include(
        facts.handlers,
        incidents.handlers,
        # After incidents: a complaint's notice needs the registration kept first.
        packages.handlers,
        sla.handlers,
        preferences.handlers,
        log.handlers,
        equipment.handlers,
        demo_month.handlers,
        accounts.handlers,
    )
    deliveries.use(service, deliveries.Notifier(service.settings))
    service.background(run_sender)
    return service


def main() -> None:
    build().run()
