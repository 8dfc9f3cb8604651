"""Composition root of the routing service."""

from __future__ import annotations

from desk_runtime.service import Service

from .handlers import MIGRATIONS, register


def build() -> Service:
    service = Service("routing", MIGRATIONS)
    register(service)
    return service


def main() -> None:
    build().run()
