"""Who is told of each event (SPEC §6). Pure: the handlers look the facts up and persist
the outcome. Internal entries reach nobody from here, so never a client."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from desk_contracts.enums import EntryKind, Status, Visibility

CategoryPath = tuple[str, ...]


@dataclass(frozen=True)
class Recipient:
    user_id: UUID
    # Why this person hears of it; kept in the delivery log for operators.
    reason: str


def unique(candidates: Iterable[tuple[UUID | None, str]]) -> list[Recipient]:
    """One recipient per person (the first reason wins); unknown people are skipped."""
    seen: set[UUID] = set()
    result = []
    for user_id, reason in candidates:
        if user_id is None or user_id in seen:
            continue
        seen.add(user_id)
        result.append(Recipient(user_id, reason))
    return result


def on_registered(requester_id: UUID) -> list[Recipient]:
    return unique([(requester_id, "requester")])


def on_assigned(agent_id: UUID) -> list[Recipient]:
    return unique([(agent_id, "assignee")])


# What counts as a reply: a comment, or files posted without words.
REPLY_KINDS = frozenset({EntryKind.COMMENT, EntryKind.ATTACHMENT})


def on_entry(
    *,
    visibility: Visibility,
    kind: EntryKind,
    author_id: UUID | None,
    author_is_staff: bool | None,
    requester_id: UUID,
    assignee_id: UUID | None,
) -> list[Recipient]:
    """A public reply, words or files, goes to the other side: staff → requester,
    client → assignee. Internal entries, system lines and status/assignment lines notify
    nobody here (status changes have their own notifications)."""
    if visibility is not Visibility.PUBLIC or kind not in REPLY_KINDS:
        return []
    if author_id is None or author_is_staff is None:
        return []
    target: UUID | None = requester_id if author_is_staff else assignee_id
    reason = "requester" if author_is_staff else "assignee"
    if target == author_id:
        return []
    return unique([(target, reason)])


STATUS_KINDS = {
    Status.WAITING_ON_CLIENT: "waiting_on_client",
    Status.RESOLVED: "resolved",
    Status.REOPENED: "reopened",
}


def status_kind(status: Status) -> str | None:
    """The notification a status change causes, if any."""
    return STATUS_KINDS.get(status)


def on_status(
    status: Status,
    requester_id: UUID,
    assignee_id: UUID | None = None,
    actor_id: UUID | None = None,
) -> list[Recipient]:
    """Waiting and resolved are told to the requester; a reopen to the assignee, who has
    the work again (unless they reopened it themselves)."""
    if status is Status.REOPENED:
        if assignee_id is None or assignee_id == actor_id:
            return []
        return unique([(assignee_id, "assignee")])
    return unique([(requester_id, "requester")]) if status_kind(status) else []


def on_reminder(assignee_id: UUID | None, account_manager_id: UUID | None) -> list[Recipient]:
    return unique([(assignee_id, "assignee"), (account_manager_id, "account_manager")])


# SlaEscalated.notify → whom: the department head is the category's escalation contact,
# else the group head; the escalation contact falls back to the group head likewise.
ESCALATION_TARGETS = ("group_head", "department_head", "escalation_contact")


def on_escalation(
    target: str, group_head_id: UUID | None, escalation_contact_id: UUID | None
) -> list[Recipient]:
    if target == "group_head":
        return unique([(group_head_id, "group_head")])
    if target in ("department_head", "escalation_contact"):
        if escalation_contact_id is not None:
            return unique([(escalation_contact_id, target)])
        return unique([(group_head_id, "group_head")])
    raise ValueError(f"unknown escalation target {target!r}")


def on_breach(assignee_id: UUID | None, group_head_id: UUID | None) -> list[Recipient]:
    return unique([(assignee_id, "assignee"), (group_head_id, "group_head")])


def unassigned_watchers(
    escalation_contact_id: UUID | None, heads: Iterable[UUID], admins: Iterable[UUID]
) -> list[Recipient]:
    """Who hears of a reminder, escalation or breach of an incident nobody is assigned
    to (so nobody's group head either): the category's escalation contact, else every
    head, else every admin — a due time is never missed in silence."""
    if escalation_contact_id is not None:
        return unique([(escalation_contact_id, "escalation_contact")])
    watchers = unique((head, "head") for head in heads)
    return watchers or unique((admin, "admin") for admin in admins)


def with_unassigned_watchers(
    people: list[Recipient],
    assignee_id: UUID | None,
    watchers: Iterable[Recipient],
) -> list[Recipient]:
    """`people`, and with nobody assigned also the watchers (each person once)."""
    if assignee_id is not None:
        return people
    everyone = [*people, *watchers]
    return unique((person.user_id, person.reason) for person in everyone)


def escalation_contact(
    category_path: CategoryPath, contacts: Iterable[tuple[CategoryPath, UUID | None]]
) -> UUID | None:
    """The contact of the deepest node on the incident's category path that has one."""
    best: tuple[int, UUID] | None = None
    for path, contact in contacts:
        if contact is None or tuple(category_path[: len(path)]) != tuple(path):
            continue
        if best is None or len(path) > best[0]:
            best = (len(path), contact)
    return best[1] if best else None


def on_equipment_notice(
    organization_clients: Iterable[UUID], account_manager_id: UUID | None
) -> list[Recipient]:
    """An equipment notice (SPEC §13) goes to the organization's clients who see its
    whole work and to its account manager."""
    return unique(
        [
            *((client, "organization_client") for client in organization_clients),
            (account_manager_id, "account_manager"),
        ]
    )


# The category type whose requests are complaints (SPEC §12), and the ratings that are low.
COMPLAINT_TYPE = "complaint"
LOW_RATING = 2


def is_complaint(category_path: CategoryPath) -> bool:
    return bool(category_path) and category_path[0] == COMPLAINT_TYPE


def is_low_rating(score: int) -> bool:
    return score <= LOW_RATING


def on_complaint(
    account_manager_id: UUID | None,
    escalation_contact_id: UUID | None,
    heads: Iterable[UUID],
) -> list[Recipient]:
    """A complaint is told on registration to the organization's account manager and
    to the head who answers for it: the complaint category's escalation contact, else
    every head (nobody's group is known before the assignment)."""
    if escalation_contact_id is not None:
        answering = [(escalation_contact_id, "escalation_contact")]
    else:
        answering = [(head, "head") for head in heads]
    return unique([(account_manager_id, "account_manager"), *answering])


def on_low_rating(group_head_id: UUID | None, heads: Iterable[UUID]) -> list[Recipient]:
    """A rating of 1–2 goes to the assignee's group head, else to every head."""
    if group_head_id is not None:
        return unique([(group_head_id, "group_head")])
    return unique((head, "head") for head in heads)


def on_quota_used_up(account_manager_id: UUID | None, admins: Iterable[UUID]) -> list[Recipient]:
    """A `warn` quota used up goes to the organization's account manager, else to the
    admins (someone must hear of it)."""
    if account_manager_id is not None:
        return unique([(account_manager_id, "account_manager")])
    return unique((admin, "admin") for admin in admins)
