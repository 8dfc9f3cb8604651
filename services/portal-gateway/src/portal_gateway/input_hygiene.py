"""Text PostgreSQL cannot store (the NUL character) is refused at the door with a 422,
so no route can fail half-way on it later."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, HTTPException

from .deps import READS_MULTIPART, SAFE_METHODS, is_multipart, media_type

# PostgreSQL cannot store it: refused wherever input arrives, naming the field.
NUL = "\x00"
NUL_MESSAGE = "must not contain the NUL character"


def first_nul_field(value: Any, path: str = "body") -> str | None:
    """The dotted path of the first string holding a NUL, or None."""
    if isinstance(value, str):
        return path if NUL in value else None
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


class RefusedCharacter(HTTPException):
    """A 422 naming the field. Not a ValidationException: the app-wide handler of that
    one would answer the portal's pages in JSON, while this reaches each router's own
    HTTPException handler (the API's error shape, the portal's error page)."""

    status_code = 422


def _first_nul_form_field(form: Any) -> str | None:
    """The first field of a parsed form whose name, value, file name or content type
    holds a NUL."""
    for key, value in form.multi_items():
        if NUL in key:
            return "body"
        if isinstance(value, str):
            if NUL in value:
                return str(key)
        elif NUL in (value.filename or "") or NUL in (value.content_type or ""):
            return str(key)
    return None


async def refuse_nul_characters(request: Request[Any, Any, Any]) -> None:
    """Query strings and every buffered body: JSON (Litestar reads a JSON `data:` from a
    body of any declared type, so the label is not trusted), urlencoded forms and
    multipart forms read whole. The routes that stream multipart uploads check their
    parts as they arrive (blobs.read_multipart), so their bodies are not buffered here.

    Raised, not answered: each router's handlers turn it into its shape (the API's JSON
    errors, the portal's error page)."""
    field: str | None = None
    for key, raw in request.query_params.multi_items():
        if NUL in key or NUL in raw:
            field = key
            break
    streams = is_multipart(request) and request.route_handler.opt.get(READS_MULTIPART)
    if field is None and not streams and request.method not in SAFE_METHODS:
        body = await request.body()
        if media_type(request) in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                field = _first_nul_form_field(await request.form())
            except ClientException:
                field = None  # malformed form: the route's own parsing answers it
        if field is None and b"\\u0000" in body.lower():
            try:
                field = first_nul_field(json.loads(body))
            except ValueError:
                field = None  # malformed JSON: the route's own parsing answers it
    if field is None:
        return
    raise RefusedCharacter(
        detail=f"{field}: {NUL_MESSAGE}", extra=[{"key": field, "message": NUL_MESSAGE}]
    )
