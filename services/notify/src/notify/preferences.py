"""Who wants to hear of what, and how: defaults by role, overridden per user, event kind
and channel. Pure; the handlers read and write the stored choices."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from desk_contracts.enums import Role
from desk_contracts.messages import NOTIFICATION_CHANNELS

# What a client can be told of (its own incidents) and what staff can be told of.
CLIENT_KINDS = ("incident_registered", "public_reply", "waiting_on_client", "resolved")
STAFF_KINDS = (
    "incident_assigned",
    "public_reply",
    "reopened",
    "reminder",
    "escalation",
    "breach",
    "complaint",
    "low_rating",
    "quota_used_up",
)

# E-mail is on by default for every kind a role receives; SMS is opt-in (it costs money
# and interrupts), so nobody gets a text message they did not ask for.
DEFAULT_CHANNELS = frozenset({"email"})

Choices = Mapping[tuple[str, str], bool]


@dataclass(frozen=True)
class Preference:
    kind: str
    channel: str
    enabled: bool
    chosen: bool


def kinds_for(role: Role) -> tuple[str, ...]:
    return STAFF_KINDS if role.is_staff else CLIENT_KINDS


def default_enabled(role: Role, kind: str, channel: str) -> bool:
    return kind in kinds_for(role) and channel in DEFAULT_CHANNELS


def effective(role: Role, choices: Choices) -> list[Preference]:
    """Every (kind, channel) the role can receive, with the user's choice or the default."""
    result = []
    for kind in kinds_for(role):
        for channel in NOTIFICATION_CHANNELS:
            chosen = choices.get((kind, channel))
            enabled = default_enabled(role, kind, channel) if chosen is None else chosen
            result.append(Preference(kind, channel, enabled, chosen is not None))
    return result


def channels_for(role: Role, kind: str, choices: Choices) -> tuple[str, ...]:
    """The channels a recipient of this role is told of `kind` on, in a stable order."""
    if kind not in kinds_for(role):
        return ()
    return tuple(
        channel
        for channel in NOTIFICATION_CHANNELS
        if choices.get((kind, channel), default_enabled(role, kind, channel))
    )


def invalid_choices(role: Role, kinds: Iterable[str]) -> list[tuple[int, str]]:
    """(index, reason) of each chosen kind the role never receives."""
    allowed = kinds_for(role)
    return [
        (index, f"not a notification for the role {role.value}; one of: {', '.join(allowed)}")
        for index, kind in enumerate(kinds)
        if kind not in allowed
    ]
