"""Composition root of the routing service."""

from __future__ import annotations

from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings

from . import staffing_handlers
from .handlers import MIGRATIONS, register


def build(settings: DeskSettings | None = None) -> Service:
    service = Service("routing", MIGRATIONS, settings)
    register(service)
    service.include(staffing_handlers.handlers)
    return service


def main() -> None:
    build().run()
