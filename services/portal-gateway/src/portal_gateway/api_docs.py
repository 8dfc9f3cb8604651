"""The interactive API reference at /schema, served whole by the desk: Swagger UI's files
come from the swagger-ui-bundle package, so the page works without internet access."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

from litestar import Litestar
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Schema
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

ASSETS_PATH = "/schema-assets"

ASSETS = create_static_files_router(
    path=ASSETS_PATH,
    directories=[swagger_ui_path],
    cache_control=CacheControlHeader(max_age=24 * 3600, public=True),
    include_in_schema=False,
)

OPENAPI = OpenAPIConfig(
    title="Service Desk API",
    version="1.0.0",
    path="/schema",
    render_plugins=[
        SwaggerRenderPlugin(
            path="/",
            js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            css_url=f"{ASSETS_PATH}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
        )
    ],
)


def _is_empty(schema: object) -> bool:
    return isinstance(schema, Schema) and all(
        getattr(schema, f.name) is None for f in fields(schema)
    )


def _settled(node: Any) -> Any:
    """`node` with every "X or anything" (`oneOf` of X and an empty schema) read as X."""
    if isinstance(node, Schema) and node.one_of:
        kept = [s for s in node.one_of if not _is_empty(s)]
        if len(kept) == 1 and len(kept) < len(node.one_of):
            return _settled(kept[0])
    if is_dataclass(node) and not isinstance(node, type):
        for f in fields(node):
            setattr(node, f.name, _settled(getattr(node, f.name)))
    elif isinstance(node, dict):
        for key, value in node.items():
            node[key] = _settled(value)
    elif isinstance(node, list):
        node[:] = [_settled(value) for value in node]
    return node


def settle_variadic_tuples(app: Litestar) -> None:
    """The web framework describes a variadic tuple's items (`tuple[X, ...]`) as "X or
    anything", which a strict reader cannot tell apart: describe them as X."""
    _settled(app.openapi_schema)
