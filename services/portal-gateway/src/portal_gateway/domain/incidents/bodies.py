"""Bodies that come as JSON or as a multipart form with files: their OpenAPI
description and their reading (files streamed to the blob store, the form's CSRF field
checked, the fields validated like the JSON would be)."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any, TypeVar

from desk_runtime.errors import validation_items
from litestar import Request
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.spec import OpenAPIMediaType as MediaType
from litestar.openapi.spec import Operation, RequestBody
from pydantic import BaseModel, ValidationError

from ...blobs import MAX_FIELD_BYTES, BadUpload, Upload, read_upload
from ...deps import (
    CSRF_FIELD,
    check_pending_csrf,
    field_error,
    is_multipart,
    media_type,
)

ModelT = TypeVar("ModelT", bound=BaseModel)

# The upload routes lift the framework's body limit for their files; their JSON bodies
# are bounded here instead (a title and a description of a million characters fit).
MAX_JSON_BYTES = 4 * MAX_FIELD_BYTES


class BodyTooLarge(HTTPException):
    status_code = 413


async def _json_bytes(request: Request[Any, Any, Any]) -> bytes:
    too_large = BodyTooLarge(
        f"the JSON body is larger than {MAX_JSON_BYTES} bytes",
        extra=[{"key": "body", "message": f"larger than {MAX_JSON_BYTES} bytes"}],
    )
    if int(request.headers.get("content-length") or 0) > MAX_JSON_BYTES:
        raise too_large
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_JSON_BYTES:
            raise too_large
    return bytes(raw)


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its $defs inlined, for a hand-written request body."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(deepcopy(defs[ref.rsplit("/", 1)[-1]]))
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def _form_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = _inline(model.model_json_schema())
    schema["properties"]["files"] = {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "maxItems": 10,
    }
    schema["properties"][CSRF_FIELD] = {"type": "string"}
    schema["additionalProperties"] = False
    return schema


def body_operation(model: type[BaseModel]) -> type[Operation]:
    """An OpenAPI operation whose body is `model` as JSON or as a multipart form."""
    content = {
        "application/json": MediaType(schema=_inline(model.model_json_schema())),  # type: ignore[arg-type]
        "multipart/form-data": MediaType(schema=_form_schema(model)),  # type: ignore[arg-type]
    }

    @dataclass
    class JsonOrMultipart(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(content=content, required=True)

    return JsonOrMultipart


def _validate(model: type[ModelT], data: Any) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ValidationException(
            detail="invalid request",
            extra=[{"key": i.field, "message": i.message} for i in validation_items(error)],
        ) from error


async def read_files(request: Request[Any, Any, Any]) -> Upload | None:
    """A multipart body's files, streamed into the blob store; None for a JSON body."""
    if not is_multipart(request):
        return None
    try:
        return await read_upload(request)
    except BadUpload as error:
        raise field_error(error.field, error.message) from error


async def read_body(
    request: Request[Any, Any, Any], model: type[ModelT], upload: Upload | None
) -> ModelT:
    """The body as `model`: the multipart form's fields (its CSRF field checked) when
    `read_files` found one, else the JSON body."""
    if upload is not None:
        check_pending_csrf(request, upload.fields.pop(CSRF_FIELD, None))
        return _validate(model, upload.fields)
    if media_type(request) not in ("application/json", ""):
        raise field_error("body", "send application/json or multipart/form-data")
    raw = await _json_bytes(request)
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as error:
        items = validation_items(error)
        if any(i.message.startswith("Invalid JSON") for i in items):
            items = [type(items[0])(field="body", message="malformed JSON")]
        raise ValidationException(
            detail="invalid request", extra=[{"key": i.field, "message": i.message} for i in items]
        ) from error
