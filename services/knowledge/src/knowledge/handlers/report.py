"""The knowledge report: per article shown, opened, helped, deflections and incidents
resolved with it; per category requests, first-contact resolution, resolutions with an
article, deflections and the gaps to write."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from uuid import UUID

from desk_contracts.enums import Role
from desk_contracts.messages import (
    ArticleReportRow,
    CategoryReportRow,
    KnowledgeReport,
    KnowledgeReportView,
)
from desk_runtime.errors import Forbidden, Invalid
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service

from ..domain import deflection, fcr
from ..domain import report as figures
from ..store import report as store

handlers = Handlers()

READERS = frozenset({Role.ADMIN, Role.HEAD})
DEFAULT_PERIOD = timedelta(days=30)


def aware(instant: datetime) -> datetime:
    """A time without a zone is read as UTC."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


@handlers.answers(KnowledgeReport)
async def knowledge_report(request: KnowledgeReport, service: Service) -> KnowledgeReportView:
    """Per article and per category over the period (heads and admins)."""
    if request.principal.role not in READERS:
        raise Forbidden("heads and admins only")
    until = aware(request.until) if request.until else datetime.now(UTC)
    since = aware(request.since) if request.since else until - DEFAULT_PERIOD
    if since >= until:
        raise Invalid.field("since", "must be before until")
    db = service.pool

    answers = [
        (
            row["article_id"],
            deflection.Answered(
                user_id=row["user_id"],
                role=Role(row["role"]),
                incident_id=row["incident_id"],
                category_id=row["category_id"],
                shown_at=row["shown_at"],
                answered_at=row["answered_at"],
            ),
        )
        for row in await store.solved_on_drafts(db, since, until)
    ]
    filed = [
        deflection.Filed(r["requester_id"], r["category_id"], r["registered_at"])
        for r in await store.filed_by(db, list({a.user_id for _, a in answers}), since)
    ]
    filed_by_user: dict[UUID, list[deflection.Filed]] = defaultdict(list)
    for incident in filed:
        filed_by_user[incident.requester_id].append(incident)
    deflected = [
        (article_id, answer)
        for article_id, answer in answers
        if deflection.deflected(answer, filed_by_user[answer.user_id])
    ]
    per_article: dict[UUID, int] = defaultdict(int)
    for article_id, _ in deflected:
        per_article[article_id] += 1

    activity: dict[UUID, list[fcr.Activity]] = defaultdict(list)
    for r in await store.activity_of(db, since, until):
        activity[r["incident_id"]].append(fcr.Activity(r["at"], r["kind"], r["article_id"]))
    incidents = [
        (r["incident_id"], r["category_id"]) for r in await store.incidents_in(db, since, until)
    ]
    resolved_with = figures.resolved_with_each((i for i, _ in incidents), activity)

    counts = list(await store.article_counts(db, since, until))
    # An article resolving incidents in the period is in the report, shown or not.
    shown_ids = {r["article_id"] for r in counts}
    counts += [
        {"article_id": a, "shown": 0, "opened": 0, "rated": 0, "helped": 0}
        for a in sorted(set(resolved_with) - shown_ids, key=str)
    ]
    titles = await store.titles(db, [r["article_id"] for r in counts], request.locale)
    articles = sorted(
        (
            ArticleReportRow(
                article_id=r["article_id"],
                title=titles.get(r["article_id"], ""),
                shown=r["shown"],
                opened=r["opened"],
                rated=r["rated"],
                helped=r["helped"],
                helped_share=figures.share(r["helped"], r["rated"]),
                deflections=per_article[r["article_id"]],
                resolved_with=resolved_with.get(r["article_id"], 0),
            )
            for r in counts
        ),
        key=lambda row: (-row.shown, str(row.article_id)),
    )

    tree = await store.categories(db)
    parents = {r["category_id"]: r["parent_id"] for r in tree}
    names = {r["category_id"]: (r["name"], tuple(r["path"])) for r in tree}
    rows = figures.by_category(
        incidents,
        activity,
        [(a.category_id, a.user_id, a.shown_at.date()) for _, a in deflected],
        parents,
        [(r["category_id"], r["article_id"]) for r in await store.helpful_bindings(db)],
    )

    def view(row: figures.CategoryFigures) -> CategoryReportRow:
        name, path = names.get(row.category_id, (str(row.category_id), ()))
        return CategoryReportRow(
            category_id=row.category_id,
            name=name,
            path=path,
            requests=row.requests,
            resolved=row.resolved,
            first_contact=row.first_contact,
            fcr_rate=row.fcr_rate,
            deflections=row.deflections,
            deflected_share=row.deflected_share,
            helpful_articles=row.helpful_articles,
            resolved_with_article=row.resolved_with_article,
        )

    return KnowledgeReportView(
        since=since,
        until=until,
        articles=tuple(articles),
        categories=tuple(view(r) for r in rows),
        gaps=tuple(view(r) for r in figures.gaps(rows, request.gap_requests)),
    )
