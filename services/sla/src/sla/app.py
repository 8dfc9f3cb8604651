"""Composition root of the sla service."""

from __future__ import annotations

from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings

from .handlers import MIGRATIONS, register


def build(settings: DeskSettings | None = None) -> Service:
    service = Service("sla", MIGRATIONS, settings)
    register(service)
    return service


def main() -> None:
    build().run()
