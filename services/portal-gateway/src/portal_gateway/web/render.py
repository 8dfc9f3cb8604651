"""Jinja2 rendering of the portal's pages with the reader's language, the CSRF token
and the security headers every page carries."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from desk_contracts.enums import Locale
from desk_runtime.local_time import local_time, zone_for
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import MediaType, Request, Response

from .history import entry_line
from .i18n import pick_language, translator
from .views import duration_words, human_size, query_string

if TYPE_CHECKING:
    from ..accounts import User

PACKAGE = Path(__file__).resolve().parents[1]
STATIC_DIR = PACKAGE / "static"
LANG_COOKIE = "desk_lang"
FLASH_COOKIE = "desk_flash"
# A notice that reports a refusal starts with this mark (the page shows it as an error).
FLASH_ERROR_MARK = "!"

# Pages run only our own script and styles: no inline code, nothing from elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _fingerprint(name: str) -> str:
    """`/static/<name>?v=<hash>`: long browser caching, fresh after every change."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


ASSETS = {name: _fingerprint(name) for name in ("portal.css", "portal.js")}

_ENV = Environment(
    loader=FileSystemLoader(PACKAGE / "templates" / "web"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def language_of(request: Request[Any, Any, Any], user_locale: str | None = None) -> str:
    return pick_language(
        request.cookies.get(LANG_COOKIE), user_locale, request.headers.get("accept-language")
    )


def reader_locale(request: Request[Any, Any, Any], user: User) -> Locale:
    """The reader's language: the portal's switch, else their own, else the browser's."""
    return Locale(language_of(request, user.locale.value))


def reader_translator(request: Request[Any, Any, Any], user: User) -> Callable[..., str]:
    """Words in the reader's language (as :func:`reader_locale` picks it)."""
    return translator(language_of(request, user.locale.value))


def desk_zone(request: Request[Any, Any, Any]) -> str:
    """The zone of people who chose none (`DESK_TIME_ZONE`)."""
    service = getattr(request.app.state, "service", None)
    return service.settings.time_zone if service is not None else "UTC"


def _upload_limit(request: Request[Any, Any, Any]) -> str:
    """The configured limit per file, as the upload forms state it."""
    service = getattr(request.app.state, "service", None)
    return human_size(service.settings.blobs.max_upload_bytes) if service is not None else ""


def render(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    user: Any = None,
    **context: Any,
) -> Response[str]:
    language = language_of(request, user.locale.value if user is not None else None)
    session = getattr(request.state, "session", None)
    flash = unquote(request.cookies.get(FLASH_COOKIE) or "")[:500]
    flash_error = flash.startswith(FLASH_ERROR_MARK)
    shown_flash = flash.removeprefix(FLASH_ERROR_MARK)
    now = datetime.now(UTC)
    # The reader's own zone, else the one their sign-in found (organization's or desk's).
    default_zone = getattr(request.state, "default_zone", None) or desk_zone(request)
    zone = zone_for(getattr(user, "time_zone", None), default_zone)

    def when(value: datetime | None) -> str:
        """Every time on a page: in the reader's zone, with its abbreviation and offset."""
        return local_time(value, zone)

    def time_left(value: datetime | None) -> str:
        if value is None:
            return ""
        seconds = (value - now).total_seconds()
        t = translator(language)
        words = duration_words(seconds, language)
        return f"{words} {t('left')}" if seconds >= 0 else f"{t('overdue by')} {words}"

    html = _ENV.get_template(template).render(
        t=translator(language),
        lang=language,
        user=user,
        csrf=session.csrf_token if session is not None else "",
        assets=ASSETS,
        path=request.url.path,
        full_path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        flash=shown_flash,
        flash_error=flash_error,
        now=now,
        when=when,
        default_zone=default_zone,
        time_left=time_left,
        size=human_size,
        line=entry_line,
        upload_limit=_upload_limit(request),
        qs=query_string,
        presence=getattr(request.state, "presence", None),
        **context,
    )
    response = Response(
        html, status_code=status_code, media_type=MediaType.HTML, headers=PAGE_HEADERS
    )
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response
