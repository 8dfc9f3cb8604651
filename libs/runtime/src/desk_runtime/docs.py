"""Writes the machine-readable documents: one AsyncAPI document per service (from its
FastStream app), the gateway's OpenAPI document, and a JSON Schema per message.

    desk-docs docs/generated
"""

from __future__ import annotations

import argparse
import inspect
import json
from importlib import import_module
from pathlib import Path
from typing import Any

from desk_contracts import Message
from desk_contracts import messages as message_module
from desk_contracts.topology import SERVICES
from faststream.specification import AsyncAPI

from .rpc import RpcClient
from .service import Service
from .settings import DeskSettings
from .supervisor import MODULES


def service_of(name: str, settings: DeskSettings) -> Service:
    """Build (not start) a service by name; services are found by module, never imported
    statically, so this library keeps depending on none of them."""
    app = import_module(f"{MODULES[name]}.app")
    if hasattr(app, "build"):
        service: Service = app.build(settings)
    else:
        service = app.build_service(settings)
    return service


def asyncapi(service: Service) -> dict[str, Any]:
    spec = AsyncAPI(
        service.broker,
        title=f"Service desk — {service.name}",
        version="1.0.0",
        description=f"Messages the {service.name} service consumes and answers.",
    )
    document: dict[str, Any] = json.loads(spec.to_specification().to_json())
    return document


def openapi(settings: DeskSettings) -> dict[str, Any]:
    gateway = import_module("portal_gateway.app")
    service = service_of("portal-gateway", settings)
    rpc = RpcClient(settings.amqp_url, settings.namespace, service.name, 1.0)
    app = gateway.build_http(service, rpc)
    schema: dict[str, Any] = app.openapi_schema.to_schema()
    return schema


def message_schemas() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    # The package's public names: its modules hold the contexts' messages (and the
    # parametrised bases, `Query[IncidentView]`, which are no messages of their own).
    for name in message_module.__all__:
        value = getattr(message_module, name)
        if inspect.isclass(value) and issubclass(value, Message):
            schema = value.model_json_schema()
            if value.ROUTING_KEY:
                schema["x-routing-key"] = value.ROUTING_KEY
            found[name] = schema
    return found


def write(folder: Path) -> list[Path]:
    settings = DeskSettings()
    written: list[Path] = []

    def dump(path: Path, document: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
        written.append(path)

    for name in SERVICES:
        dump(folder / "asyncapi" / f"{name}.json", asyncapi(service_of(name, settings)))
    dump(folder / "openapi.json", openapi(settings))
    for name, schema in message_schemas().items():
        dump(folder / "messages" / f"{name}.json", schema)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description="Write AsyncAPI, OpenAPI and message schemas")
    parser.add_argument("folder", type=Path, nargs="?", default=Path("docs/generated"))
    args = parser.parse_args()
    for path in write(args.folder):
        print(path)


if __name__ == "__main__":
    main()
