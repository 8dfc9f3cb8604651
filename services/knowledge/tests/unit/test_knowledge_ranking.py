"""The order of suggestions: bound first, then relevance, then measured helpfulness."""

from __future__ import annotations

from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st
from knowledge.domain import ranking
from knowledge.domain.feedback import counter_changes
from knowledge.domain.ranking import Candidate


def candidate(
    distance: int | None = None, relevance: float = 0.0, rated: int = 0, helped: int = 0
) -> Candidate:
    return Candidate(uuid4(), distance, relevance, rated, helped)


@st.composite
def candidates(draw: st.DrawFn) -> Candidate:
    rated = draw(st.integers(0, 1000))
    return Candidate(
        article_id=UUID(int=draw(st.integers(0, 2**128 - 1))),
        distance=draw(st.none() | st.integers(0, 5)),
        relevance=draw(st.floats(0, 1, allow_nan=False)),
        rated=rated,
        helped=draw(st.integers(0, rated)),
    )


@given(st.lists(candidates(), max_size=40), st.integers(0, 12))
def test_bound_articles_come_first_and_the_limit_holds(pool: list[Candidate], limit: int) -> None:
    ranked = ranking.rank(pool, limit)
    assert len(ranked) == min(limit, len({c.article_id for c in pool}))
    bound = [c.bound for c in ranked]
    assert bound == sorted(bound, reverse=True)
    assert len({c.article_id for c in ranked}) == len(ranked)


@given(st.lists(candidates(), min_size=1, max_size=40))
def test_ranking_is_a_function_of_the_set_not_its_order(pool: list[Candidate]) -> None:
    assert ranking.rank(pool, 10) == ranking.rank(list(reversed(pool)), 10)


@given(candidates(), st.floats(0.001, 0.5))
def test_more_relevant_ranks_higher_at_equal_helpfulness(base: Candidate, more: float) -> None:
    better = Candidate(uuid4(), base.distance, base.relevance + more, base.rated, base.helped)
    assert ranking.rank([base, better], 2)[0] is better


@given(candidates(), st.integers(1, 100))
def test_more_helpful_ranks_higher_at_equal_relevance(base: Candidate, extra: int) -> None:
    more_helpful = Candidate(
        uuid4(), base.distance, base.relevance, base.rated + extra, base.helped + extra
    )
    assert ranking.rank([base, more_helpful], 2)[0] is more_helpful


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_helpfulness_is_smoothed_into_the_open_unit_interval(helped: int, rated: int) -> None:
    value = ranking.helpfulness(min(helped, rated), rated)
    assert 0 < value < 1
    assert ranking.helpfulness(0, 0) == 0.5


def test_an_article_liked_once_does_not_beat_one_that_helped_forty_times_in_fifty() -> None:
    once = candidate(relevance=0.3, rated=1, helped=1)
    proven = candidate(relevance=0.3, rated=50, helped=40)
    assert ranking.rank([once, proven], 2) == [proven, once]


def test_an_unbound_exact_match_stays_behind_a_bound_weak_one() -> None:
    bound = candidate(distance=2, relevance=0.0)
    exact = candidate(distance=None, relevance=0.99, rated=100, helped=100)
    assert ranking.rank([exact, bound], 2) == [bound, exact]


def test_nearer_binding_breaks_a_tie() -> None:
    node, parent = candidate(distance=0), candidate(distance=1)
    assert ranking.rank([parent, node], 2) == [node, parent]


def test_a_duplicate_article_is_kept_once_with_its_best_showing() -> None:
    first = candidate(distance=None, relevance=0.1)
    again = Candidate(first.article_id, 0, 0.1, 0, 0)
    assert ranking.rank([first, again], 5) == [again]


@given(st.none() | st.booleans(), st.booleans())
def test_feedback_counters_follow_the_latest_answer(before: bool | None, now: bool) -> None:
    rated, helped = counter_changes(before, now)
    # Counters before: rated counts an answer, helped a yes; after: the same for `now`.
    assert rated == (1 if before is None else 0)
    assert int(bool(before)) + helped == int(now)


@given(st.lists(st.floats(0, 1, allow_nan=False), max_size=20), st.integers(1, 10))
def test_any_word_is_tried_only_when_every_word_finds_too_few(
    relevances: list[float], limit: int
) -> None:
    matching = sum(1 for r in relevances if r > 0)
    assert ranking.too_few(relevances, limit) == (matching < limit)
    # Bound articles found without the text (relevance 0) do not count as matches.
    assert ranking.too_few([0.0] * 20, 1)
