"""First-contact resolution and deflections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from desk_contracts.enums import Role
from hypothesis import given
from hypothesis import strategies as st
from knowledge.domain import deflection, fcr
from knowledge.domain.fcr import Activity, Outcome

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def timeline(*items: tuple[float, str]) -> list[Activity]:
    return [Activity(at(m), kind) for m, kind in items]


def test_resolved_by_the_first_staff_reply_is_first_contact() -> None:
    assert fcr.outcome(timeline((5, fcr.STAFF_REPLY), (6, fcr.RESOLVED))) is Outcome.FIRST_CONTACT


def test_reply_and_resolution_at_one_instant_count_in_that_order() -> None:
    activity = [Activity(at(5), fcr.RESOLVED), Activity(at(5), fcr.STAFF_REPLY)]
    assert fcr.outcome(activity) is Outcome.FIRST_CONTACT


def test_a_client_question_before_the_first_reply_does_not_matter() -> None:
    activity = timeline((1, fcr.CLIENT_REPLY), (5, fcr.STAFF_REPLY), (6, fcr.RESOLVED))
    assert fcr.outcome(activity) is Outcome.FIRST_CONTACT


def test_a_second_staff_reply_or_a_client_reply_before_resolution_is_not() -> None:
    two = timeline((5, fcr.STAFF_REPLY), (7, fcr.STAFF_REPLY), (8, fcr.RESOLVED))
    back = timeline((5, fcr.STAFF_REPLY), (7, fcr.CLIENT_REPLY), (8, fcr.RESOLVED))
    assert fcr.outcome(two) is Outcome.NOT_FIRST_CONTACT
    assert fcr.outcome(back) is Outcome.NOT_FIRST_CONTACT


def test_resolved_without_any_public_reply_is_not() -> None:
    assert fcr.outcome(timeline((5, fcr.RESOLVED))) is Outcome.NOT_FIRST_CONTACT


def test_a_reopen_within_the_window_undoes_it_one_after_does_not() -> None:
    days = 24 * 60
    within = timeline((5, fcr.STAFF_REPLY), (6, fcr.RESOLVED), (6 + 3 * days, fcr.REOPENED))
    after = timeline((5, fcr.STAFF_REPLY), (6, fcr.RESOLVED), (6 + 8 * days, fcr.REOPENED))
    assert fcr.outcome(within) is Outcome.NOT_FIRST_CONTACT
    assert fcr.outcome(after) is Outcome.FIRST_CONTACT


def test_not_resolved_yet_is_open() -> None:
    assert fcr.outcome([]) is Outcome.OPEN
    assert fcr.outcome(timeline((5, fcr.STAFF_REPLY))) is Outcome.OPEN


KINDS = st.sampled_from([fcr.STAFF_REPLY, fcr.CLIENT_REPLY, fcr.RESOLVED, fcr.REOPENED])


@given(st.lists(st.tuples(st.integers(0, 20_000), KINDS), max_size=12))
def test_first_contact_needs_exactly_one_staff_reply_before_the_first_resolution(
    items: list[tuple[int, str]],
) -> None:
    activity = timeline(*items)
    result = fcr.outcome(activity)
    ordered = sorted(activity, key=lambda a: (a.at, fcr.KIND_ORDER[a.kind]))
    resolutions = [i for i, a in enumerate(ordered) if a.kind == fcr.RESOLVED]
    if not resolutions or any(a.kind == fcr.REOPENED for a in ordered[: resolutions[0]]):
        assert result is not Outcome.FIRST_CONTACT
        return
    before = ordered[: resolutions[0]]
    staff = [a for a in before if a.kind == fcr.STAFF_REPLY]
    if result is Outcome.FIRST_CONTACT:
        assert len(staff) == 1
        assert not [a for a in before if a.kind == fcr.CLIENT_REPLY and a.at > staff[0].at]
    # The order the facts arrived in never changes the answer.
    assert fcr.outcome(list(reversed(activity))) is result


def answered(**overrides: object) -> deflection.Answered:
    values: dict[str, object] = {
        "user_id": uuid4(),
        "role": Role.CLIENT,
        "incident_id": None,
        "category_id": uuid4(),
        "shown_at": at(0),
        "answered_at": at(1),
    }
    values.update(overrides)
    return deflection.Answered(**values)  # type: ignore[arg-type]


def test_a_client_who_said_solved_and_did_not_file_is_a_deflection() -> None:
    answer = answered()
    assert deflection.deflected(answer, [])
    elsewhere = deflection.Filed(uuid4(), answer.category_id or uuid4(), at(2))
    assert deflection.deflected(answer, [elsewhere])


def test_filing_in_the_category_within_the_window_takes_it_back() -> None:
    answer = answered()
    assert answer.category_id is not None
    filed = deflection.Filed(answer.user_id, answer.category_id, at(30))
    assert not deflection.deflected(answer, [filed])
    later = deflection.Filed(answer.user_id, answer.category_id, at(1) + deflection.WINDOW * 2)
    assert deflection.deflected(answer, [later])
    other_category = deflection.Filed(answer.user_id, uuid4(), at(30))
    assert deflection.deflected(answer, [other_category])
    no_category = answered(category_id=None)
    anywhere = deflection.Filed(no_category.user_id, uuid4(), at(30))
    assert not deflection.deflected(no_category, [anywhere])


def test_staff_and_suggestions_on_an_incident_are_never_deflections() -> None:
    assert not deflection.deflected(answered(role=Role.AGENT), [])
    assert not deflection.deflected(answered(incident_id=uuid4()), [])


def test_only_a_clients_suggestion_before_filing_may_record_a_deflection() -> None:
    assert deflection.may_deflect(Role.CLIENT, None)
    assert not deflection.may_deflect(Role.CLIENT, uuid4())
    assert not deflection.may_deflect(Role.HEAD, None)
