"""Text PostgreSQL cannot store (the NUL character) is refused at the door with a 422,
so no route can fail half-way on it later."""

from __future__ import annotations

import json
from typing import Any

from litestar import MediaType, Request, Response

from .errors import error_body

_NUL = "\x00"
_MESSAGE = "must not contain the NUL character"


def first_nul_field(value: Any, path: str = "body") -> str | None:
    """The dotted path of the first string holding a NUL, or None."""
    if isinstance(value, str):
        return path if _NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = first_nul_field(key, path) or first_nul_field(item, f"{path}.{key}")
            if found:
                return found.removeprefix("body.")
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = first_nul_field(item, f"{path}.{index}")
            if found:
                return found.removeprefix("body.")
    return None


async def refuse_nul_characters(request: Request[Any, Any, Any]) -> Response[Any] | None:
    field: str | None = None
    for key, raw in request.query_params.multi_items():
        if _NUL in key or _NUL in raw:
            field = key
            break
    if field is None and "json" in request.headers.get("content-type", ""):
        body = await request.body()
        if b"\\u0000" in body.lower():
            try:
                field = first_nul_field(json.loads(body))
            except ValueError:
                field = None  # malformed JSON: the route's own parsing answers it
    if field is None:
        return None
    return Response(
        error_body("invalid request", [{"field": field, "message": _MESSAGE}]),
        status_code=422,
        media_type=MediaType.JSON,
    )
