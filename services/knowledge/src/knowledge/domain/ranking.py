"""The order of suggestions. An article bound to the asked category or one of its
ancestors comes before one found only by its text; within each group the text's
relevance counts most, then how often the article actually helped; a nearer binding
(the node itself before its parent) and then the article id break what is left.

Helpfulness is smoothed (Laplace: one helped and one did not, assumed before any
answer), so an article shown once and liked once does not outrank one that helped 40
times out of 50, and a new article starts in the middle rather than at the bottom."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

# Relevance (PostgreSQL's ts_rank normalised to [0, 1)) outweighs helpfulness: full
# helpfulness is worth as much as this much relevance.
HELPFULNESS_WEIGHT = 0.25


@dataclass(frozen=True)
class Candidate:
    article_id: UUID
    # Steps from the asked node up to the nearest bound one (0: the node itself);
    # None when the article is not bound to the node or any ancestor.
    distance: int | None
    relevance: float
    rated: int
    helped: int

    @property
    def bound(self) -> bool:
        return self.distance is not None


def too_few(relevances: Iterable[float], limit: int) -> bool:
    """Whether the articles matching every typed word (those with a relevance) are too
    few to suggest `limit`: then any word will do. All words first keeps a short
    question's answers precise and the search narrow; a long description rarely has
    every word in one article."""
    return sum(1 for relevance in relevances if relevance > 0) < limit


def helpfulness(helped: int, rated: int) -> float:
    """(helped + 1) / (rated + 2): in (0, 1), 0.5 before any answer."""
    helped = max(0, min(helped, rated))
    return (helped + 1) / (rated + 2)


def score(candidate: Candidate) -> float:
    return candidate.relevance + HELPFULNESS_WEIGHT * helpfulness(candidate.helped, candidate.rated)


def sort_key(candidate: Candidate) -> tuple[bool, float, int, float, int, int, str]:
    # After the score and the binding's distance, the raw figures: two showings of one
    # article are always ordered the same way, whatever order they came in.
    return (
        not candidate.bound,
        -score(candidate),
        candidate.distance if candidate.distance is not None else 0,
        -candidate.relevance,
        -candidate.helped,
        candidate.rated,
        str(candidate.article_id),
    )


def rank(candidates: Iterable[Candidate], limit: int) -> list[Candidate]:
    """The best `limit` candidates, best first; an article appears once."""
    best: dict[UUID, Candidate] = {}
    for candidate in candidates:
        seen = best.get(candidate.article_id)
        if seen is None or sort_key(candidate) < sort_key(seen):
            best[candidate.article_id] = candidate
    return sorted(best.values(), key=sort_key)[: max(0, limit)]
