"""Suggestions while a request is filed or worked, each recorded as shown, and the
feedback on each (which the ranking then reads)."""

from __future__ import annotations

from uuid import UUID, uuid4

from desk_contracts.enums import Locale, Role, Scope
from desk_contracts.messages import (
    Principal,
    SuggestArticles,
    SuggestionFeedback,
    Suggestions,
    SuggestionView,
)
from desk_runtime.errors import Invalid, NotFound
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service

from ..domain import deflection, ranking
from ..domain.feedback import counter_changes
from ..store import Db, facts
from ..store import suggestions as store

handlers = Handlers()


def other(locale: Locale) -> Locale:
    return Locale.EN if locale is Locale.RU else Locale.RU


def may_name_incident(principal: Principal, requester_id: UUID, organization_id: UUID) -> bool:
    """A client names only an incident they may see: their own, or their organization's
    with the organization's scope."""
    if principal.role.is_staff:
        return True
    if requester_id == principal.user_id:
        return True
    return principal.scope is Scope.ORGANIZATION and organization_id == principal.organization_id


async def found_for(
    db: Db, request: SuggestArticles, category_id: UUID | None, q: str | None
) -> tuple[list[store.Found], list[Locale]]:
    """The candidates and the languages they were found in. Clients: public articles in
    their language, else in the other one when none in theirs fits. Staff: public and
    internal ones in either language."""
    nodes = await store.ancestry(db, category_id) if category_id is not None else []
    if not nodes and q is None:
        return [], []
    tries: list[tuple[list[Locale], tuple[str, ...]]]
    if request.principal.role.is_staff:
        tries = [(list(Locale), ("public", "internal"))]
    else:
        tries = [([request.locale], ("public",)), ([other(request.locale)], ("public",))]
    for locales, visibilities in tries:
        found = await store.candidates(
            db, locales=locales, visibilities=visibilities, nodes=nodes, q=q
        )
        if q is not None and ranking.too_few((f.candidate.relevance for f in found), request.limit):
            found = await store.candidates(
                db, locales=locales, visibilities=visibilities, nodes=nodes, q=q, any_word=True
            )
        if found:
            return found, locales
    return [], []


@handlers.answers(SuggestArticles)
async def suggest(request: SuggestArticles, service: Service) -> Suggestions:
    """The articles that fit, best first, each recorded as shown to the principal."""
    principal = request.principal
    category_id, q = request.category_id, (request.q or "").strip() or None
    if request.incident_id is not None:
        incident = await facts.incident(service.pool, request.incident_id)
        if incident is not None:
            if not may_name_incident(
                principal, incident["requester_id"], incident["organization_id"]
            ):
                raise NotFound("incident not found")
            category_id = category_id or incident["category_id"]
            q = q or incident["title"]
    found, locales = await found_for(service.pool, request, category_id, q)
    by_id = {f.candidate.article_id: f for f in found}
    ranked = ranking.rank((f.candidate for f in found), request.limit)
    texts = await store.texts(service.pool, [c.article_id for c in ranked], locales, request.locale)
    ranked = [c for c in ranked if c.article_id in texts]  # edited away meanwhile
    shown = [
        store.Shown(
            suggestion_id=uuid4(),
            article_id=candidate.article_id,
            version=by_id[candidate.article_id].version,
            rank=position,
            locale=texts[candidate.article_id].locale,
        )
        for position, candidate in enumerate(ranked, start=1)
    ]
    async with service.pool.acquire() as conn, conn.transaction():
        await store.record_shown(
            conn,
            shown,
            user_id=principal.user_id,
            role=principal.role.value,
            organization_id=principal.organization_id,
            incident_id=request.incident_id,
            category_id=category_id,
            query=q,
        )
    return Suggestions(
        items=tuple(
            SuggestionView(
                suggestion_id=s.suggestion_id,
                article_id=s.article_id,
                version=s.version,
                rank=s.rank,
                locale=s.locale,
                title=texts[s.article_id].title,
                excerpt=texts[s.article_id].excerpt,
                body_html=texts[s.article_id].body_html,
                visibility=by_id[s.article_id].visibility,
                bound=by_id[s.article_id].candidate.bound,
            )
            for s in shown
        )
    )


@handlers.answers(SuggestionFeedback)
async def feedback(request: SuggestionFeedback, service: Service) -> SuggestionView:
    """The person a suggestion was shown to says whether it helped, and a client before
    filing whether it solved the problem (a deflection, recorded by the page they
    leave); answering again replaces the answer (the article's counters move with it)."""
    async with service.pool.acquire() as conn, conn.transaction():
        suggestion = await store.get_for_update(conn, request.suggestion_id)
        if suggestion is None or suggestion.user_id != request.principal.user_id:
            raise NotFound("suggestion not found")
        if request.solved and not deflection.may_deflect(
            Role(suggestion.role), suggestion.incident_id
        ):
            raise Invalid.field(
                "solved", "only a client's answer before filing says a request was not needed"
            )
        rated, helped = counter_changes(suggestion.helped, request.helped)
        await store.answer(conn, suggestion, request.helped, rated, helped, solved=request.solved)
        text = await store.article_text(conn, suggestion.article_id, suggestion.locale)
    assert text is not None
    return SuggestionView(
        suggestion_id=suggestion.suggestion_id,
        article_id=suggestion.article_id,
        version=suggestion.version,
        rank=suggestion.rank,
        locale=Locale(text["locale"]),
        title=text["title"],
        excerpt=text["excerpt"],
        body_html=text["body_html"],
        visibility=text["visibility"],
        bound=False,
        helped=request.helped,
        solved=request.solved,
    )
