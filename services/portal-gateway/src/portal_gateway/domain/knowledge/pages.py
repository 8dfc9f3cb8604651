"""The portal's knowledge pages: the knowledge base to search and browse by category,
one article, the answer to a suggestion (helped / did not help), and the suggestions
shown beside the new-incident form."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from desk_contracts.messages import Suggestions
from desk_runtime.rpc import RemoteFailure, ServiceUnavailable
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from ...accounts import User
from ...deps import principal, rpc
from ...web.forms import back, parse_uuid, words
from ...web.render import reader_locale, render
from ...web.views import query_string, safe_next
from ..categories.service import category_infos
from . import service
from .guards import editors_only

PAGE_SIZE = 25


async def suggestions_for(
    request: Request[Any, Any, Any], user: User, category_id: str | None, text: str | None
) -> Suggestions | None:
    """What the new-incident form shows beside itself for the category and text typed so
    far (None when there is nothing to ask with, or knowledge cannot answer now)."""
    category = parse_uuid(category_id)
    q = " ".join((text or "").split())[:500] or None
    if category is None and q is None:
        return None
    try:
        return await service.suggestions(
            rpc(request), user, reader_locale(request, user), category_id=category, q=q
        )
    except (RemoteFailure, ServiceUnavailable):  # the form works without its answers
        return None


async def staff_suggestions(
    request: Request[Any, Any, Any], user: User, incident_id: UUID, category_id: UUID, title: str
) -> Suggestions | None:
    """The articles for an incident on its staff page; the page does without them when
    knowledge cannot answer now."""
    try:
        return await service.suggestions(
            rpc(request),
            user,
            reader_locale(request, user),
            category_id=category_id,
            q=title[:500],
            incident_id=incident_id,
        )
    except (RemoteFailure, ServiceUnavailable):
        return None


@get("/kb", include_in_schema=False)
async def knowledge_page(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    query = request.query_params
    q = " ".join((query.get("q") or "").split())[:500] or None
    category_id = parse_uuid(query.get("category_id"))
    try:
        page = max(1, int(query.get("page") or 1))
    except ValueError:
        page = 1
    found = await service.articles(
        rpc(request),
        user,
        reader_locale(request, user),
        q=q,
        category_id=category_id,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    categories = await category_infos(rpc(request), user)
    return render(
        request,
        "kb.html",
        user=user,
        found=found,
        q=q or "",
        category_id=str(category_id) if category_id else "",
        categories=categories,
        names={c.category_id: c.name for c in categories},
        page=page,
        pages=max(1, -(-found.total // PAGE_SIZE)),
    )


@get("/kb/{article_id:uuid}", include_in_schema=False)
async def article_page(request: Request[Any, Any, Any], article_id: UUID) -> Response[str]:
    user = principal(request)
    # Opened from a suggestion shown to the reader: it counts as opened (once).
    suggestion_id = parse_uuid(request.query_params.get("suggestion"))
    try:
        article = None
        if suggestion_id is not None:
            try:
                article = await service.opened_article(
                    rpc(request), user, article_id, suggestion_id
                )
            except RemoteFailure as error:
                if error.failure.status != 422:  # not theirs: the article all the same
                    raise
        if article is None:
            article = await service.article(rpc(request), user, article_id)
    except RemoteFailure as error:
        if error.failure.status == 404:
            raise NotFoundException("article not found") from error
        raise
    locale = reader_locale(request, user)
    text = next((t for t in article.texts if t.locale is locale), article.texts[0])
    categories = await category_infos(rpc(request), user)
    names = {c.category_id: c.name for c in categories}
    return render(
        request,
        "kb_article.html",
        user=user,
        article=article,
        text=text,
        bound=[names.get(str(c), str(c)) for c in article.category_ids],
    )


@post("/kb/suggestions/{suggestion_id:uuid}/feedback", include_in_schema=False)
async def suggestion_feedback(request: Request[Any, Any, Any], suggestion_id: UUID) -> Redirect:
    """The *helped* / *did not help* buttons beside a suggestion, back to the page; and
    a client's *it solved my problem*, which leaves the form without filing: the
    deflection is recorded here, by the page the client leaves."""
    user = principal(request)
    t = words(request, user)
    form = await request.form()
    solved = form.get("solved") == "1"
    helped = solved or form.get("helped") == "1"
    target = safe_next(str(form.get("next") or ""), "/kb")
    try:
        await service.feedback(
            rpc(request), user, suggestion_id, helped, reader_locale(request, user), solved=solved
        )
    except RemoteFailure as error:
        if error.failure.status == 404:
            raise NotFoundException("suggestion not found") from error
        if error.failure.status == 422:  # a suggestion on an incident: no request to spare
            return back(target, t("Only a request not filed yet can be spared."), error=True)
        raise
    if solved:
        return back("/incidents", t("Glad it solved your problem. Nothing was filed."))
    message = (
        t("Glad it helped. You need not file an incident.")
        if helped
        else t("Thank you: we will improve it.")
    )
    return back(target, message)


@get("/kb/suggest", include_in_schema=False)
async def suggestions_fragment(request: Request[Any, Any, Any]) -> Response[str]:
    """The answers block of the new-incident form alone, for portal.js to refresh as
    the client picks a category and types (the page does the same after a submit)."""
    user = principal(request)
    query = request.query_params
    category_id, title = query.get("category_id") or "", (query.get("title") or "")[:300]
    return render(
        request,
        "_kb_suggestions.html",
        user=user,
        suggestions=await suggestions_for(request, user, category_id, title),
        asked_title=title.strip(),
        suggest_next="/incidents/new" + query_string({"category_id": category_id, "title": title}),
    )


@get("/reports/kb", include_in_schema=False, guards=[editors_only])
async def report_page(request: Request[Any, Any, Any]) -> Response[str]:
    """The heads' knowledge base report: gaps, categories and articles, with bars."""
    user = principal(request)
    report = await service.report(rpc(request), user, reader_locale(request, user), None, None, 5)
    return render(request, "kb_report.html", user=user, report=report)


PAGES = [knowledge_page, article_page, suggestion_feedback, suggestions_fragment, report_page]
