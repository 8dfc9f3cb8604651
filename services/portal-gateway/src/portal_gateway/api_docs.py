"""The interactive API reference at /schema, served whole by the desk: Swagger UI's files
come from the swagger-ui-bundle package, so the page works without internet access."""

from __future__ import annotations

from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
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
