"""Which articles an incident was resolved with (`domain/resolved_with.py`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st
from knowledge.domain import fcr
from knowledge.domain.fcr import Activity
from knowledge.domain.report import resolved_with_each
from knowledge.domain.resolved_with import articles_resolved_with

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ARTICLE, OTHER = uuid4(), uuid4()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def reply(minutes: float, article: UUID | None = None) -> Activity:
    return Activity(at(minutes), fcr.STAFF_REPLY, article)


def test_the_reply_that_links_and_resolves_at_one_instant() -> None:
    # The resolution arrives first and carries the reply's instant: still its reply's.
    activity = [Activity(at(5), fcr.RESOLVED), reply(5, ARTICLE)]
    assert articles_resolved_with(activity) == {ARTICLE}


def test_a_resolution_after_the_linking_reply_counts_other_staff_replies_between() -> None:
    activity = [reply(5, ARTICLE), reply(6), Activity(at(9), fcr.RESOLVED)]
    assert articles_resolved_with(activity) == {ARTICLE}


def test_a_client_reply_between_the_link_and_the_resolution_does_not() -> None:
    activity = [reply(5, ARTICLE), Activity(at(6), fcr.CLIENT_REPLY), reply(7)]
    assert articles_resolved_with([*activity, Activity(at(8), fcr.RESOLVED)]) == frozenset()
    relinked = [*activity, reply(7.5, OTHER), Activity(at(8), fcr.RESOLVED)]
    assert articles_resolved_with(relinked) == {OTHER}


def test_unresolved_or_reopened_counts_nothing_and_the_last_resolution_decides() -> None:
    assert articles_resolved_with([reply(5, ARTICLE)]) == frozenset()
    reopened = [reply(5, ARTICLE), Activity(at(6), fcr.RESOLVED), Activity(at(9), fcr.REOPENED)]
    assert articles_resolved_with(reopened) == frozenset()
    again = [*reopened, reply(10, OTHER), Activity(at(11), fcr.RESOLVED)]
    assert articles_resolved_with(again) == {OTHER}


def test_each_incident_counts_once_per_article() -> None:
    first, second, third = uuid4(), uuid4(), uuid4()
    resolved = Activity(at(9), fcr.RESOLVED)
    activity = {
        first: [reply(5, ARTICLE), reply(6, ARTICLE), resolved],
        second: [reply(5, ARTICLE), reply(6, OTHER), resolved],
        third: [reply(5)],
    }
    assert resolved_with_each([first, second, third], activity) == {ARTICLE: 2, OTHER: 1}


KINDS = st.sampled_from([fcr.STAFF_REPLY, fcr.CLIENT_REPLY, fcr.RESOLVED, fcr.REOPENED])


@given(
    st.lists(
        st.tuples(st.integers(0, 50), KINDS, st.sampled_from([None, ARTICLE, OTHER])),
        max_size=12,
    )
)
def test_only_linked_articles_count_and_the_order_of_arrival_does_not_matter(
    items: list[tuple[int, str, UUID | None]],
) -> None:
    activity = [
        Activity(at(m), kind, article if kind == fcr.STAFF_REPLY else None)
        for m, kind, article in items
    ]
    found = articles_resolved_with(activity)
    assert found <= {a.article_id for a in activity if a.article_id is not None}
    timeline = fcr.in_order(activity)
    if found:
        assert timeline[-1].kind != fcr.REOPENED
        assert any(a.kind == fcr.RESOLVED for a in timeline)
    assert articles_resolved_with(list(reversed(activity))) == found
