"""Preferences: role defaults (e-mail on, SMS opt-in) and each user's choices on top."""

from __future__ import annotations

import pytest
from desk_contracts.enums import Role
from desk_contracts.messages import NOTIFICATION_CHANNELS, NOTIFICATION_KINDS
from notify.preferences import (
    CLIENT_KINDS,
    STAFF_KINDS,
    channels_for,
    default_enabled,
    effective,
    invalid_choices,
    kinds_for,
)

STAFF = [Role.AGENT, Role.MANAGER, Role.HEAD, Role.ADMIN]


def test_clients_hear_of_their_incidents_by_mail_by_default() -> None:
    assert set(kinds_for(Role.CLIENT)) == {
        "incident_registered",
        "public_reply",
        "waiting_on_client",
        "resolved",
    }
    for kind in CLIENT_KINDS:
        assert channels_for(Role.CLIENT, kind, {}) == ("email",)


@pytest.mark.parametrize("role", STAFF)
def test_staff_hear_of_assignments_reminders_escalations_by_mail(role: Role) -> None:
    for kind in ("incident_assigned", "reminder", "escalation", "breach", "public_reply"):
        assert channels_for(role, kind, {}) == ("email",)
    assert channels_for(role, "incident_registered", {}) == ()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("kind", NOTIFICATION_KINDS)
def test_sms_is_never_on_by_default(role: Role, kind: str) -> None:
    assert not default_enabled(role, kind, "sms")


def test_a_choice_overrides_the_default_per_kind_and_channel() -> None:
    choices = {("public_reply", "email"): False, ("public_reply", "sms"): True}
    assert channels_for(Role.CLIENT, "public_reply", choices) == ("sms",)
    assert channels_for(Role.CLIENT, "resolved", choices) == ("email",)
    both = {("resolved", "sms"): True}
    assert channels_for(Role.CLIENT, "resolved", both) == ("email", "sms")


def test_a_kind_outside_the_role_is_never_sent_even_if_chosen() -> None:
    assert channels_for(Role.CLIENT, "escalation", {("escalation", "email"): True}) == ()


@pytest.mark.parametrize("role", list(Role))
def test_effective_lists_every_kind_and_channel_of_the_role(role: Role) -> None:
    listed = effective(role, {})
    assert [(p.kind, p.channel) for p in listed] == [
        (kind, channel) for kind in kinds_for(role) for channel in NOTIFICATION_CHANNELS
    ]
    assert not any(p.chosen for p in listed)
    chosen = effective(role, {(kinds_for(role)[0], "email"): False})
    assert chosen[0].enabled is False
    assert chosen[0].chosen is True


def test_invalid_choices_name_the_index_of_each_kind_the_role_never_gets() -> None:
    problems = invalid_choices(Role.CLIENT, ["resolved", "escalation", "public_reply", "breach"])
    assert [index for index, _ in problems] == [1, 3]
    assert all("role client" in message for _, message in problems)
    assert invalid_choices(Role.AGENT, list(STAFF_KINDS)) == []
    assert "one of" in invalid_choices(Role.AGENT, ["resolved"])[0][1]
