"""Who is told of what (SPEC §6): one table per event, and the rule that internal
entries reach nobody — so never a client."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from desk_contracts.enums import EntryKind, Status, Visibility
from hypothesis import given
from hypothesis import strategies as st
from notify import recipients
from notify.recipients import Recipient

REQUESTER, AGENT, OTHER_AGENT, MANAGER, HEAD, CONTACT = (UUID(int=n) for n in range(1, 7))


def ids(people: list[Recipient]) -> list[UUID]:
    return [p.user_id for p in people]


def test_registration_confirms_to_the_requester_and_assignment_tells_the_agent() -> None:
    assert recipients.on_registered(REQUESTER) == [Recipient(REQUESTER, "requester")]
    assert recipients.on_assigned(AGENT) == [Recipient(AGENT, "assignee")]


@pytest.mark.parametrize(
    ("author", "staff", "assignee", "expected"),
    [
        (AGENT, True, AGENT, [REQUESTER]),  # the assignee replies → the requester
        (OTHER_AGENT, True, AGENT, [REQUESTER]),  # any staff member replies → the requester
        (REQUESTER, False, AGENT, [AGENT]),  # the client replies → the assignee
        (REQUESTER, False, None, []),  # nobody assigned yet: nobody to tell
        (UUID(int=77), False, AGENT, [AGENT]),  # a colleague of the requester replies
        (REQUESTER, True, AGENT, []),  # nobody is told of their own words
        (None, None, AGENT, []),  # a system line
        (AGENT, None, AGENT, []),  # author unknown: tell nobody rather than the wrong side
    ],
)
@pytest.mark.parametrize("kind", [EntryKind.COMMENT, EntryKind.ATTACHMENT])
def test_a_public_reply_goes_to_the_other_side(
    author: UUID | None,
    staff: bool | None,
    assignee: UUID | None,
    expected: list[UUID],
    kind: EntryKind,
) -> None:
    people = recipients.on_entry(
        visibility=Visibility.PUBLIC,
        kind=kind,
        author_id=author,
        author_is_staff=staff,
        requester_id=REQUESTER,
        assignee_id=assignee,
    )
    assert ids(people) == expected


@pytest.mark.parametrize("kind", list(EntryKind))
@pytest.mark.parametrize("staff", [True, False])
def test_internal_entries_reach_nobody(kind: EntryKind, staff: bool) -> None:
    people = recipients.on_entry(
        visibility=Visibility.INTERNAL,
        kind=kind,
        author_id=AGENT if staff else REQUESTER,
        author_is_staff=staff,
        requester_id=REQUESTER,
        assignee_id=AGENT,
    )
    assert people == []


@pytest.mark.parametrize("kind", [k for k in EntryKind if k not in recipients.REPLY_KINDS])
def test_only_comments_and_files_notify_as_replies(kind: EntryKind) -> None:
    people = recipients.on_entry(
        visibility=Visibility.PUBLIC,
        kind=kind,
        author_id=AGENT,
        author_is_staff=True,
        requester_id=REQUESTER,
        assignee_id=AGENT,
    )
    assert people == []


@pytest.mark.parametrize("status", list(Status))
def test_status_changes_tell_the_requester_of_waiting_and_resolved_only(status: Status) -> None:
    people = recipients.on_status(status, REQUESTER, AGENT, REQUESTER)
    if status in (Status.WAITING_ON_CLIENT, Status.RESOLVED):
        assert ids(people) == [REQUESTER]
        assert recipients.status_kind(status) == status.value
    elif status is Status.REOPENED:
        assert ids(people) == [AGENT]
        assert recipients.status_kind(status) == "reopened"
    else:
        assert people == []
        assert recipients.status_kind(status) is None


def test_a_reopen_tells_nobody_when_unassigned_or_reopened_by_the_assignee() -> None:
    assert recipients.on_status(Status.REOPENED, REQUESTER, None, REQUESTER) == []
    assert recipients.on_status(Status.REOPENED, REQUESTER, AGENT, AGENT) == []


def test_reminders_go_to_the_assignee_and_the_account_manager_once_each() -> None:
    assert ids(recipients.on_reminder(AGENT, MANAGER)) == [AGENT, MANAGER]
    assert ids(recipients.on_reminder(None, MANAGER)) == [MANAGER]
    assert ids(recipients.on_reminder(AGENT, None)) == [AGENT]
    assert ids(recipients.on_reminder(MANAGER, MANAGER)) == [MANAGER]


@pytest.mark.parametrize(
    ("target", "head", "contact", "expected"),
    [
        ("group_head", HEAD, CONTACT, [HEAD]),
        ("group_head", None, CONTACT, []),
        ("department_head", HEAD, CONTACT, [CONTACT]),
        ("department_head", HEAD, None, [HEAD]),
        ("escalation_contact", HEAD, CONTACT, [CONTACT]),
        ("escalation_contact", HEAD, None, [HEAD]),
        ("escalation_contact", None, None, []),
    ],
)
def test_escalation_targets(
    target: str, head: UUID | None, contact: UUID | None, expected: list[UUID]
) -> None:
    assert ids(recipients.on_escalation(target, head, contact)) == expected


def test_an_unknown_escalation_target_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown escalation target"):
        recipients.on_escalation("everyone", HEAD, CONTACT)


def test_breach_tells_the_assignee_and_the_group_head() -> None:
    assert ids(recipients.on_breach(AGENT, HEAD)) == [AGENT, HEAD]
    assert ids(recipients.on_breach(None, HEAD)) == [HEAD]


def test_the_deepest_category_with_a_contact_names_the_escalation_contact() -> None:
    tree = [
        (("fault",), UUID(int=10)),
        (("fault", "software"), UUID(int=11)),
        (("fault", "software", "crash"), None),
        (("order",), UUID(int=12)),
    ]
    assert recipients.escalation_contact(("fault", "software", "crash"), tree) == UUID(int=11)
    assert recipients.escalation_contact(("fault", "hardware"), tree) == UUID(int=10)
    assert recipients.escalation_contact(("order", "development"), tree) == UUID(int=12)
    assert recipients.escalation_contact(("consultation",), tree) is None
    # A sibling whose code is a prefix of the path's string is not an ancestor.
    assert recipients.escalation_contact(("faults",), tree) is None


@given(
    contact=st.one_of(st.none(), st.uuids()),
    heads=st.lists(st.uuids(), max_size=3),
    admins=st.lists(st.uuids(), max_size=3),
)
def test_an_unassigned_incident_is_never_missed_in_silence(
    contact: UUID | None, heads: list[UUID], admins: list[UUID]
) -> None:
    watchers = recipients.unassigned_watchers(contact, heads, admins)
    if contact is not None:
        assert [(w.user_id, w.reason) for w in watchers] == [(contact, "escalation_contact")]
    elif heads:
        assert {w.user_id for w in watchers} == set(heads)
    else:
        assert {w.user_id for w in watchers} == set(admins)
    # With an assignee nothing changes; without one the watchers join, each person once.
    people = recipients.on_breach(None, None)
    assert recipients.with_unassigned_watchers(people, uuid4(), watchers) == people
    joined = recipients.with_unassigned_watchers(people, None, watchers)
    assert joined == watchers
    assert len({p.user_id for p in joined}) == len(joined)


def test_the_account_manager_keeps_the_reminder_beside_the_watchers() -> None:
    manager, head = uuid4(), uuid4()
    people = recipients.on_reminder(None, manager)
    joined = recipients.with_unassigned_watchers(
        people, None, recipients.unassigned_watchers(None, [head, manager], [])
    )
    assert [(p.user_id, p.reason) for p in joined] == [
        (manager, "account_manager"),
        (head, "head"),
    ]


def test_a_complaint_goes_to_the_account_manager_and_the_answering_head() -> None:
    manager, contact, head_a, head_b = (uuid4() for _ in range(4))
    assert recipients.is_complaint(("complaint", "service"))
    assert not recipients.is_complaint(("fault",))
    assert not recipients.is_complaint(())
    with_contact = recipients.on_complaint(manager, contact, [head_a, head_b])
    assert [(r.user_id, r.reason) for r in with_contact] == [
        (manager, "account_manager"),
        (contact, "escalation_contact"),
    ]
    without = recipients.on_complaint(None, None, [head_a, head_b, head_a])
    assert [(r.user_id, r.reason) for r in without] == [(head_a, "head"), (head_b, "head")]
    # The manager who is also the head hears of it once.
    assert len(recipients.on_complaint(head_a, None, [head_a])) == 1


@pytest.mark.parametrize(("score", "low"), [(1, True), (2, True), (3, False), (5, False)])
def test_ratings_of_one_and_two_are_low(score: int, low: bool) -> None:
    assert recipients.is_low_rating(score) is low


def test_a_low_rating_goes_to_the_group_head_else_to_every_head() -> None:
    group_head, head = uuid4(), uuid4()
    assert [r.user_id for r in recipients.on_low_rating(group_head, [head])] == [group_head]
    assert [r.reason for r in recipients.on_low_rating(None, [head])] == ["head"]


def test_a_used_up_quota_goes_to_the_account_manager_else_to_the_admins() -> None:
    manager, admin = uuid4(), uuid4()
    assert [r.reason for r in recipients.on_quota_used_up(manager, [admin])] == ["account_manager"]
    assert [r.user_id for r in recipients.on_quota_used_up(None, [admin])] == [admin]
