"""Composition root of the notify service."""

from __future__ import annotations

from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings

from .handlers import MIGRATIONS, register


def build(settings: DeskSettings | None = None) -> Service:
    service = Service("notify", MIGRATIONS, settings)
    register(service)
    return service


def main() -> None:
    build().run()
