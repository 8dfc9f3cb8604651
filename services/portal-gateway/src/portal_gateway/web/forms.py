"""What every page handler shares: the reader's words, post/redirect/get with a notice,
form fields, refusals shown next to the fields they name, and form submission keys."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from desk_runtime.errors import validation_items
from desk_runtime.rpc import RemoteFailure
from litestar import Request
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.response import Redirect
from pydantic import BaseModel, ValidationError

from ..accounts import Session, User
from ..blobs import Upload, UploadTooLarge
from ..deps import CSRF_FIELD
from ..security import csrf_matches
from .admin_forms import Errors
from .i18n import translator
from .render import FLASH_COOKIE, FLASH_ERROR_MARK, language_of
from .views import human_size


def words(request: Request[Any, Any, Any], user: User | None = None) -> Any:
    """The translator of the reader's language (cookie, profile, browser)."""
    return translator(language_of(request, user.locale.value if user else None))


def back(target: str, message: str, *, error: bool = False) -> Redirect:
    """Post/redirect/get with a one-shot notice shown by the next page; an `error` is
    shown as one (not as a success)."""
    value = (FLASH_ERROR_MARK if error else "") + message
    return Redirect(
        target,
        status_code=303,
        cookies=[Cookie(key=FLASH_COOKIE, value=quote(value), path="/", samesite="lax")],
    )


def failure_text(error: Exception) -> str:
    if isinstance(error, RemoteFailure):
        failure = error.failure
        fields = "; ".join(f"{i.field}: {i.message}" for i in failure.errors)
        return f"{failure.detail}" + (f" ({fields})" if fields else "")
    if isinstance(error, HTTPException):
        return str(error.detail)
    return str(error)


def parse_uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def page_number(request: Request[Any, Any, Any]) -> int:
    try:
        return max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        return 1


async def form_values(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


def field_errors(model: type[BaseModel], data: dict[str, Any], t: Any) -> dict[str, str]:
    try:
        model.model_validate(data)
    except ValidationError as error:
        return {
            item.field: t("This field is required.")
            if not str(data.get(item.field) or "").strip()
            else t(item.message)
            for item in validation_items(error)
        }
    return {}


def refusal(
    error: RemoteFailure | HTTPException,
    t: Any,
    field_of: Callable[[str], str | None] = lambda name: name.split(".")[0],
) -> Errors:
    """A refused save as messages next to the form's fields (`field_of` maps the API's
    field names to the form's; None puts a message on top of the form)."""
    items: list[tuple[str, str]]
    if isinstance(error, RemoteFailure):
        items = [(i.field, i.message) for i in error.failure.errors]
        detail = error.failure.detail
    else:
        extra = error.extra if isinstance(error.extra, list) else []
        items = [
            (str(x["key"]), str(x.get("message", "")))
            for x in extra
            if isinstance(x, dict) and "key" in x
        ]
        detail = str(error.detail)
    errors: Errors = {}
    for name, message in items:
        field = field_of(name) or "form"
        errors.setdefault(field, t(message) if field != "form" else f"{name}: {t(message)}")
    if not errors:
        errors["form"] = t(detail)
    return errors


def refusable(error: RemoteFailure | HTTPException) -> bool:
    """Refusals a form can explain; a missing record or a denial is a page of its own."""
    status = error.failure.status if isinstance(error, RemoteFailure) else error.status_code
    return status in (400, 409, 422)


def check_form_csrf(request: Request[Any, Any, Any], upload: Upload) -> dict[str, str]:
    """A multipart form's text fields, once its CSRF field matched the session's token
    (the API reads its multipart bodies the same way)."""
    presented = upload.fields.pop(CSRF_FIELD, None)
    session: Session = request.state.session
    if not csrf_matches(session.csrf_token, presented):
        raise PermissionDeniedException("missing or wrong CSRF token")
    return upload.fields


# A hidden field of the forms that file or reply: the key the page was rendered with.
FORM_KEY = "form_key"


def submission_id(kind: str, user: User, fields: Mapping[str, Any], scope: object = "") -> UUID:
    """The request id of a form post, from the key its page was rendered with: a double
    click or a page sent again (after a timeout, say) files once. The user and the
    incident are mixed in, so a key is nobody else's; a post without one is new."""
    try:
        key = UUID(str(fields.get(FORM_KEY, "")))
    except ValueError:
        return uuid4()
    return uuid5(NAMESPACE_URL, f"web-{kind}:{user.id}:{scope}:{key}")


def too_large_text(t: Any, error: UploadTooLarge) -> str:
    """A refused file, named with the limit, in the reader's language."""
    limit = human_size(error.limit)
    if error.filename == "body":  # the whole request, before any file was read
        return str(t("The files are larger than the limit of {limit} per file.", limit=limit))
    return str(
        t(
            "“{name}” is larger than the limit of {limit} per file; nothing was saved.",
            name=error.filename,
            limit=limit,
        )
    )
