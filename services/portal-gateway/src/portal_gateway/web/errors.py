"""Every failure on a page becomes a readable page: the login page when no session,
a 404 that does not say whether the thing exists, 503 with `Retry-After` while a peer,
the broker or the database is away, anything else an error page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from desk_runtime.logging import get_logger
from desk_runtime.rpc import RemoteFailure, ServiceUnavailable
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from ..blobs import BadUpload, UploadTooLarge
from ..outage import OUTAGES, RETRY_AFTER, UNAVAILABLE
from .forms import words
from .render import render
from .session import LoginRequired

log = get_logger(__name__)


def _error_page(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any]:
    t = words(request)
    titles = {403: t("Access denied"), 404: t("Not found"), 503: t("Temporarily unavailable")}
    return render(
        request,
        "error.html",
        status_code=status,
        user=getattr(getattr(request.state, "session", None), "user", None),
        title=titles.get(status, t("Something went wrong")),
        message=message,
    )


def _on_login_required(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    target = request.url.path if request.method == "GET" else "/incidents"
    return Redirect(f"/login?next={quote(target)}", status_code=303)


def _on_http(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    if error.status_code == 401:
        return _on_login_required(request, error)
    if error.status_code == 404:
        message = words(request)("The page you asked for does not exist or is not yours to see.")
        return _error_page(request, 404, message)
    return _error_page(request, error.status_code, words(request)(str(error.detail)))


def _on_remote(request: Request[Any, Any, Any], error: RemoteFailure) -> Response[Any]:
    if error.failure.status == 503:
        return _on_unavailable(request, error)
    if error.failure.status == 404:
        message = words(request)("The page you asked for does not exist or is not yours to see.")
        return _error_page(request, 404, message)
    t = words(request)
    failure = error.failure
    fields = "; ".join(f"{item.field}: {t(item.message)}" for item in failure.errors)
    message = t(failure.detail) + (f" ({fields})" if fields else "")
    return _error_page(request, failure.status, message)


def _on_unavailable(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    if not isinstance(error, ServiceUnavailable):  # the request/reply client logged those
        log.warning("page_dependency_unavailable", path=request.url.path, error=repr(error))
    page = _error_page(request, 503, words(request)(UNAVAILABLE))
    page.headers.update(RETRY_AFTER)
    return page


def _on_upload(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    return _error_page(request, 413 if isinstance(error, UploadTooLarge) else 422, str(error))


def _on_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("page_failed", path=request.url.path, error=repr(error))
    return _error_page(request, 500, words(request)("Something went wrong"))


# Every page router (the portal's and the admin's) turns failures into pages the same way.
PAGE_ERRORS: dict[Any, Any] = {
    LoginRequired: _on_login_required,
    HTTPException: _on_http,
    RemoteFailure: _on_remote,
    # A peer, the broker or the database out of reach for a moment: a 503 page.
    **dict.fromkeys(OUTAGES, _on_unavailable),
    BadUpload: _on_upload,
    UploadTooLarge: _on_upload,
    Exception: _on_unexpected,
}
