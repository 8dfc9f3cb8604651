"""The knowledge report's arithmetic: per category, requests, first-contact
resolutions, resolutions with an article, deflections and the articles that helped
there (bound to the category or an ancestor); the gaps are the categories with many
requests and no such article."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from . import fcr
from .resolved_with import articles_resolved_with


@dataclass(frozen=True)
class CategoryFigures:
    category_id: UUID
    requests: int
    resolved: int
    first_contact: int
    deflections: int
    helpful_articles: int
    # Resolved by a reply that linked an article (`resolved_with.py`).
    resolved_with_article: int = 0

    @property
    def fcr_rate(self) -> float | None:
        return self.first_contact / self.resolved if self.resolved else None

    @property
    def deflected_share(self) -> float | None:
        asked = self.deflections + self.requests
        return self.deflections / asked if asked else None


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def ancestors(category_id: UUID, parents: dict[UUID, UUID | None]) -> list[UUID]:
    """The category and its ancestors, nearest first (a cycle stops the climb)."""
    chain: list[UUID] = []
    node: UUID | None = category_id
    while node is not None and node not in chain:
        chain.append(node)
        node = parents.get(node)
    return chain


def by_category(
    incidents: Iterable[tuple[UUID, UUID]],
    activity: dict[UUID, list[fcr.Activity]],
    deflections: Iterable[tuple[UUID | None, UUID, date]],
    parents: dict[UUID, UUID | None],
    helpful: Iterable[tuple[UUID, UUID]],
) -> list[CategoryFigures]:
    """`incidents`: (incident, category); `deflections`: (category, user, day) of each
    deflected suggestion — one client's several helped suggestions on one day count as
    one deflected request; `helpful`: (category, article) bindings of articles that
    helped. Categories with requests or deflections, most requests first."""
    requests: dict[UUID, int] = defaultdict(int)
    resolved: dict[UUID, int] = defaultdict(int)
    first: dict[UUID, int] = defaultdict(int)
    with_article: dict[UUID, int] = defaultdict(int)
    for incident_id, category_id in incidents:
        requests[category_id] += 1
        if articles_resolved_with(activity.get(incident_id, [])):
            with_article[category_id] += 1
        result = fcr.outcome(activity.get(incident_id, []))
        if result is not fcr.Outcome.OPEN:
            resolved[category_id] += 1
        if result is fcr.Outcome.FIRST_CONTACT:
            first[category_id] += 1
    deflected: dict[UUID, set[tuple[UUID, date]]] = defaultdict(set)
    for asked, user_id, day in deflections:
        if asked is not None:
            deflected[asked].add((user_id, day))
    bound: dict[UUID, set[UUID]] = defaultdict(set)
    for category_id, article_id in helpful:
        bound[category_id].add(article_id)
    rows = []
    for category_id in set(requests) | set(deflected):
        articles: set[UUID] = set()
        for node in ancestors(category_id, parents):
            articles |= bound.get(node, set())
        rows.append(
            CategoryFigures(
                category_id=category_id,
                requests=requests[category_id],
                resolved=resolved[category_id],
                first_contact=first[category_id],
                deflections=len(deflected[category_id]),
                helpful_articles=len(articles),
                resolved_with_article=with_article[category_id],
            )
        )
    return sorted(rows, key=lambda r: (-r.requests, -r.deflections, str(r.category_id)))


def resolved_with_each(
    incident_ids: Iterable[UUID], activity: dict[UUID, list[fcr.Activity]]
) -> dict[UUID, int]:
    """Per article, the incidents resolved with it (each incident once per article)."""
    counts: dict[UUID, int] = defaultdict(int)
    for incident_id in incident_ids:
        for article_id in articles_resolved_with(activity.get(incident_id, [])):
            counts[article_id] += 1
    return counts


def gaps(rows: Iterable[CategoryFigures], many: int) -> list[CategoryFigures]:
    """Categories with at least `many` requests and no article that helped there."""
    return [r for r in rows if r.requests >= many and r.helpful_articles == 0]
