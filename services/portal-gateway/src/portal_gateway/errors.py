"""One mapping from every failure to the public error shape:
{"detail": ..., "errors": [{"field": ..., "message": ...}]}, worded in the reader's
language (the portal's switch, else the account's language, else `Accept-Language`)."""

from __future__ import annotations

from typing import Any

from desk_runtime.logging import get_logger
from desk_runtime.rpc import RemoteFailure, ServiceUnavailable
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from .blobs import UploadTooLarge
from .error_words import body_in
from .outage import OUTAGES, RETRY_AFTER, UNAVAILABLE
from .web.i18n import accepted_language, pick_language, translator
from .web.render import LANG_COOKIE

log = get_logger(__name__)


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


def _language(request: Request[Any, Any, Any]) -> str:
    """The portal's switch, else a language the request asks for, else the account's."""
    cookie = request.cookies.get(LANG_COOKIE)
    asked = accepted_language(request.headers.get("accept-language"))
    user = getattr(getattr(request.state, "session", None), "user", None)
    return (
        pick_language(cookie, None, asked)
        if asked
        else pick_language(cookie, getattr(user, "locale", None), None)
    )


def _answer(
    request: Request[Any, Any, Any],
    body: dict[str, Any],
    status_code: int,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    return Response(
        body_in(_language(request), body),
        status_code=status_code,
        media_type=MediaType.JSON,
        headers=headers,
    )


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    items = []
    for problem in exc.extra if isinstance(exc.extra, list) else []:
        if (
            isinstance(problem, dict)
            and problem.get("source") == "body"
            and (problem.get("key") == "data")
        ):
            # Litestar's way of saying the handler's body argument got nothing at all.
            items.append({"field": "body", "message": "a JSON object is required; none was sent"})
        elif isinstance(problem, dict):
            items.append(
                {
                    "field": str(problem.get("key") or "body"),
                    "message": str(problem.get("message", "invalid")),
                }
            )
    detail = exc.detail if not items else "invalid request"
    if not items:
        items.append({"field": "body", "message": str(exc.detail)})
    return _answer(request, error_body(detail, items), 422)


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code == 400:
        # Litestar's own 400s are bodies it could not parse: name the body as the field.
        return _answer(
            request,
            error_body("invalid request", [{"field": "body", "message": str(exc.detail)}]),
            422,
        )
    items = [
        {"field": str(item["key"]), "message": str(item.get("message", ""))}
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict) and "key" in item
    ]
    headers = dict(exc.headers or {})
    if exc.status_code == 503:  # every "not now" says when to come back
        headers = {**RETRY_AFTER, **headers}
    return _answer(request, error_body(str(exc.detail), items), exc.status_code, headers)


def _too_large(request: Request[Any, Any, Any], exc: UploadTooLarge) -> Response[Any]:
    return _answer(
        request,
        error_body(
            f"file too large: {exc.filename} exceeds the limit of {exc.limit} bytes",
            [{"field": "files", "message": f"larger than {exc.limit} bytes"}],
        ),
        413,
    )


def _remote(request: Request[Any, Any, Any], exc: RemoteFailure) -> Response[Any]:
    failure = exc.failure
    if failure.status == 503:  # the service asked could not reach one it depends on
        return _unavailable(request, exc)
    return _answer(
        request,
        error_body(failure.detail, [item.model_dump() for item in failure.errors]),
        failure.status,
    )


def _unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A temporary outage, not a bug: 503 with `Retry-After`, said in the reader's
    language (the portal's language switch, else the `Accept-Language` header)."""
    if not isinstance(exc, ServiceUnavailable):  # the request/reply client logged those
        log.warning("dependency_unavailable", path=request.url.path, error=repr(exc))
    return Response(
        error_body(translator(_language(request))(UNAVAILABLE)),
        status_code=503,
        media_type=MediaType.JSON,
        headers=RETRY_AFTER,
    )


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("request_failed", path=request.url.path, error=repr(exc))
    return Response(
        error_body("internal error"),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ValidationException: _validation,
    HTTPException: _http,
    RemoteFailure: _remote,
    UploadTooLarge: _too_large,
    # A peer, the broker or the database out of reach for a moment: 503, not 500.
    **dict.fromkeys(OUTAGES, _unavailable),
    Exception: _unexpected,
}
