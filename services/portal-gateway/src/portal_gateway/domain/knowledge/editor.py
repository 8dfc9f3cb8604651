"""The editors' article pages (admins and heads): the list of every article, a new one,
an edit with the versions kept, and a preview rendered by knowledge's own safe
renderer — without JavaScript *Preview* re-renders the form with it, with JavaScript the
preview box follows the same request (`/kb/editor/preview`, the box alone). An edit
made on a version someone else has since replaced is refused (409) and said so, with
what was typed kept."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from desk_contracts.enums import Locale, Visibility
from desk_contracts.messages import ARTICLE_STATUSES, ArticlePreview, ArticleView
from desk_runtime.errors import validation_items
from desk_runtime.rpc import RemoteFailure
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, ValidationException
from pydantic import ValidationError

from ...accounts import User
from ...deps import gateway, principal, rpc
from ...web.forms import back, failure_text, parse_uuid, refused_fields, words
from ...web.render import reader_locale, render
from ...web.views import category_labels
from ..accounts.service import names_of
from ..categories.service import category_infos
from . import service
from .guards import editors_only
from .pages import PAGE_SIZE
from .schemas import ArticlePatch, NewArticle, TextIn

LOCALES = (Locale.EN, Locale.RU)
Values = dict[str, Any]


def values_of(article: ArticleView) -> Values:
    """The form's fields for an article as it is."""
    values: Values = {
        "visibility": article.visibility.value,
        "status": article.status,
        "category_ids": [str(c) for c in article.category_ids],
        "keywords": ", ".join(article.keywords),
        "expected_version": str(article.version),
    }
    for text in article.texts:
        values[f"title_{text.locale.value}"] = text.title
        values[f"body_{text.locale.value}"] = text.body
    return values


async def read_form(request: Request[Any, Any, Any]) -> Values:
    form = await request.form()
    values: Values = {k: str(v) for k, v in form.items() if k != "category_ids"}
    values["category_ids"] = [str(v) for k, v in form.multi_items() if k == "category_ids"]
    return values


def texts_of(values: Values, t: Any) -> tuple[list[TextIn], dict[str, str]]:
    """The languages written (a title or a body), each needing its title."""
    texts, errors = [], {}
    for locale in LOCALES:
        title = values.get(f"title_{locale.value}", "").strip()
        body = values.get(f"body_{locale.value}", "")
        if not title and not body.strip():
            continue
        if not title:
            errors[f"title_{locale.value}"] = t("A text needs its title.")
            continue
        try:
            texts.append(TextIn(locale=locale, title=title, body=body))
        except ValidationError as error:
            for item in validation_items(error):
                errors[f"{item.field}_{locale.value}"] = item.message
    if not texts and not errors:
        errors["title_en"] = t("Write the article in at least one language.")
    return texts, errors


def spec_fields(values: Values) -> Values:
    return {
        "visibility": values.get("visibility") or Visibility.PUBLIC.value,
        "status": values.get("status") or "draft",
        "category_ids": [c for c in values.get("category_ids", []) if parse_uuid(c)],
        "keywords": [k.strip() for k in values.get("keywords", "").split(",") if k.strip()],
    }


def problems(error: ValidationError) -> dict[str, str]:
    return {"form": "; ".join(f"{i.field}: {i.message}" for i in validation_items(error))}


async def editor_page(
    request: Request[Any, Any, Any],
    user: User,
    *,
    article_id: UUID | None,
    values: Values,
    errors: dict[str, str] | None = None,
    preview: ArticlePreview | None = None,
    status_code: int = 200,
) -> Response[str]:
    client = rpc(request)
    categories = await category_infos(client, user)
    labels = category_labels(categories)
    versions, names = None, {}
    if article_id is not None:
        versions = await service.versions(client, user, article_id)
        authors = {v.author_id for v in versions.items if v.author_id}
        names = {
            k: r["display_name"]
            for k, r in (await names_of(gateway(request).pool, authors)).items()
        }
    return render(
        request,
        "kb_editor.html",
        status_code=status_code,
        user=user,
        article_id=article_id,
        values=values,
        errors=errors or {},
        preview=preview,
        categories=[(c.category_id, labels[c.path], len(c.path)) for c in categories],
        statuses=[(s, words(request, user)(s)) for s in ARTICLE_STATUSES],
        versions=versions,
        names=names,
    )


@get("/kb/editor", guards=[editors_only], include_in_schema=False)
async def editor_list(request: Request[Any, Any, Any]) -> Response[str]:
    """Every article, drafts and archived ones included, most recently changed first."""
    user = principal(request)
    query = request.query_params
    status = query.get("status") if query.get("status") in ARTICLE_STATUSES else None
    q = " ".join((query.get("q") or "").split())[:500] or None
    found = await service.articles(
        rpc(request), user, reader_locale(request, user), q=q, status=status, limit=PAGE_SIZE * 4
    )
    return render(request, "kb_editor_list.html", user=user, found=found, q=q or "", status=status)


@get("/kb/editor/new", guards=[editors_only], include_in_schema=False)
async def new_article_form(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    return await editor_page(request, user, article_id=None, values=spec_fields({}))


@get("/kb/editor/{article_id:uuid}", guards=[editors_only], include_in_schema=False)
async def edit_article_form(request: Request[Any, Any, Any], article_id: UUID) -> Response[str]:
    user = principal(request)
    try:
        article = await service.article(rpc(request), user, article_id)
    except RemoteFailure as error:
        if error.failure.status == 404:
            raise NotFoundException("article not found") from error
        raise
    return await editor_page(request, user, article_id=article_id, values=values_of(article))


async def rendered(request: Request[Any, Any, Any], user: User, texts: list[TextIn]) -> Any:
    return await service.preview(rpc(request), user, list(texts)) if texts else None


@post("/kb/editor/preview", guards=[editors_only], include_in_schema=False)
async def preview_fragment(request: Request[Any, Any, Any]) -> Response[str]:
    """The preview box alone, for portal.js (the form's *Preview* does the same)."""
    user = principal(request)
    texts, errors = texts_of(await read_form(request), words(request, user))
    return render(
        request,
        "_kb_preview.html",
        user=user,
        preview=await rendered(request, user, texts),
        errors=errors,
    )


@post("/kb/editor/new", guards=[editors_only], include_in_schema=False)
async def save_new_article(request: Request[Any, Any, Any]) -> Response[Any]:
    return await save(request, None)


@post("/kb/editor/{article_id:uuid}", guards=[editors_only], include_in_schema=False)
async def save_edited_article(request: Request[Any, Any, Any], article_id: UUID) -> Response[Any]:
    return await save(request, article_id)


async def save(request: Request[Any, Any, Any], article_id: UUID | None) -> Response[Any]:
    """*Preview* shows the form again with the texts rendered; *Save* writes the article
    (a new version on an edit) and goes to its edit page."""
    user = principal(request)
    t = words(request, user)
    values = await read_form(request)
    texts, errors = texts_of(values, t)

    async def again(
        errors: dict[str, str], status_code: int, preview: ArticlePreview | None = None
    ) -> Response[str]:
        """The form again, with what was typed."""
        return await editor_page(
            request,
            user,
            article_id=article_id,
            values=values,
            errors=errors,
            preview=preview,
            status_code=status_code,
        )

    if values.get("action") == "preview" or errors:
        preview = await rendered(request, user, texts)
        return await again(errors, 422 if errors else 200, preview)
    fields = spec_fields(values)
    client = rpc(request)
    try:
        if article_id is None:
            saved = await service.create_article(
                client, user, NewArticle.model_validate({**fields, "texts": texts})
            )
        else:
            version = values.get("expected_version") or ""
            patch = ArticlePatch.model_validate(
                {
                    **fields,
                    "texts": texts,
                    "expected_version": int(version) if version.isdigit() else None,
                }
            )
            saved = await service.update_article(client, user, article_id, patch)
    except ValidationError as error:
        return await again(problems(error), 422)
    except ValidationException as error:
        return await again(refused_fields(error), 422)
    except RemoteFailure as error:
        if error.failure.status == 409:
            now = (error.failure.data or {}).get("version", "?")
            stale = t(
                "Someone else saved this article meanwhile (it is at version {version} now). "
                "What you typed is kept below: open the article again to see their change, "
                "then make yours on it.",
                version=now,
            )
            return await again({"form": stale}, 409)
        if error.failure.status == 422:
            found = {i.field: i.message for i in error.failure.errors} or {
                "form": failure_text(error)
            }
            return await again(found, 422)
        raise
    return back(
        f"/kb/editor/{saved.article_id}",
        t("Article saved: version {version}.", version=saved.version),
    )


EDITOR_PAGES = [
    editor_list,
    new_article_form,
    edit_article_form,
    preview_fragment,
    save_new_article,
    save_edited_article,
]
