"""Who sees which incident and entry: a table of principals × incidents."""

from __future__ import annotations

from uuid import UUID

import pytest
from desk_contracts.enums import Role, Scope, Visibility
from intake.domain.visibility import (
    IncidentScope,
    Principal,
    VisibilityNotAllowed,
    can_see_entry,
    can_see_incident,
    entry_visibility_for,
    incident_scope,
    may_link_article,
    visible_visibilities,
)

ACME, GLOBEX = UUID(int=0xA), UUID(int=0xB)
ALICE, BOB, CAROL, DAVE = (UUID(int=n) for n in (1, 2, 3, 4))  # clients
STAFF_ID = UUID(int=99)

PRINCIPALS: dict[str, Principal] = {
    "client_own": Principal(ALICE, Role.CLIENT, ACME, Scope.OWN),
    "client_org": Principal(BOB, Role.CLIENT, ACME, Scope.ORGANIZATION),
    "client_other_org": Principal(CAROL, Role.CLIENT, GLOBEX, Scope.ORGANIZATION),
    "client_other_own": Principal(DAVE, Role.CLIENT, GLOBEX, Scope.OWN),
    "agent": Principal(STAFF_ID, Role.AGENT, None, None),
    "manager": Principal(STAFF_ID, Role.MANAGER, None, None),
    "head": Principal(STAFF_ID, Role.HEAD, None, None),
    "admin": Principal(STAFF_ID, Role.ADMIN, None, None),
}
STAFF = ("agent", "manager", "head", "admin")
CLIENTS = ("client_own", "client_org", "client_other_org", "client_other_own")

# (requester_id, organization_id) of each incident.
INCIDENTS: dict[str, tuple[UUID, UUID]] = {
    "alice_at_acme": (ALICE, ACME),
    "bob_at_acme": (BOB, ACME),
    "carol_at_globex": (CAROL, GLOBEX),
    # Alice filed it while she was at Globex; she has since moved to Acme.
    "alice_at_globex": (ALICE, GLOBEX),
}

SEES: dict[str, set[str]] = {
    "client_own": {"alice_at_acme"},
    "client_org": {"alice_at_acme", "bob_at_acme"},
    "client_other_org": {"carol_at_globex", "alice_at_globex"},
    "client_other_own": set(),
    **{name: set(INCIDENTS) for name in STAFF},
}

TABLE = [(p, i) for p in PRINCIPALS for i in INCIDENTS]


@pytest.mark.parametrize(("principal", "incident"), TABLE, ids=[f"{p}-{i}" for p, i in TABLE])
def test_can_see_incident(principal: str, incident: str) -> None:
    requester_id, organization_id = INCIDENTS[incident]
    seen = can_see_incident(
        PRINCIPALS[principal], requester_id=requester_id, organization_id=organization_id
    )
    assert seen is (incident in SEES[principal])


@pytest.mark.parametrize("principal", list(PRINCIPALS))
def test_incident_scope_names_what_a_client_is_held_to(principal: str) -> None:
    p = PRINCIPALS[principal]
    expected = {
        "client_own": IncidentScope(ACME, ALICE),
        "client_org": IncidentScope(ACME, None),
        "client_other_org": IncidentScope(GLOBEX, None),
        "client_other_own": IncidentScope(GLOBEX, DAVE),
    }.get(principal)
    assert incident_scope(p) == expected


@pytest.mark.parametrize("principal", list(PRINCIPALS))
def test_is_staff(principal: str) -> None:
    assert PRINCIPALS[principal].is_staff is (principal in STAFF)


ENTRY_TABLE = [(p, v) for p in PRINCIPALS for v in Visibility]


@pytest.mark.parametrize(
    ("principal", "visibility"), ENTRY_TABLE, ids=[f"{p}-{v}" for p, v in ENTRY_TABLE]
)
def test_can_see_entry(principal: str, visibility: Visibility) -> None:
    expected = principal in STAFF or visibility is Visibility.PUBLIC
    assert can_see_entry(PRINCIPALS[principal], visibility) is expected


@pytest.mark.parametrize("principal", list(PRINCIPALS))
def test_visible_visibilities_agree_with_can_see_entry(principal: str) -> None:
    p = PRINCIPALS[principal]
    visible = visible_visibilities(p)
    assert set(visible) == {v for v in Visibility if can_see_entry(p, v)}
    if principal in CLIENTS:
        assert visible == (Visibility.PUBLIC,)
    else:
        assert visible == (Visibility.PUBLIC, Visibility.INTERNAL)


@pytest.mark.parametrize("principal", CLIENTS)
@pytest.mark.parametrize("requested", [None, Visibility.PUBLIC])
def test_clients_always_write_public(principal: str, requested: Visibility | None) -> None:
    assert entry_visibility_for(PRINCIPALS[principal], requested) is Visibility.PUBLIC


@pytest.mark.parametrize("principal", CLIENTS)
def test_client_asking_for_internal_is_refused(principal: str) -> None:
    with pytest.raises(VisibilityNotAllowed, match="visibility") as caught:
        entry_visibility_for(PRINCIPALS[principal], Visibility.INTERNAL)
    assert caught.value.field == "visibility"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("principal", STAFF)
@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        (None, Visibility.PUBLIC),
        (Visibility.PUBLIC, Visibility.PUBLIC),
        (Visibility.INTERNAL, Visibility.INTERNAL),
    ],
)
def test_staff_choose_and_default_to_public(
    principal: str, requested: Visibility | None, expected: Visibility
) -> None:
    assert entry_visibility_for(PRINCIPALS[principal], requested) is expected


def test_client_needs_organization_and_scope() -> None:
    with pytest.raises(ValueError, match="organization_id"):
        Principal(ALICE, Role.CLIENT, None, Scope.OWN)
    with pytest.raises(ValueError, match="scope"):
        Principal(ALICE, Role.CLIENT, ACME, None)


def test_staff_scope_and_organization_are_ignored() -> None:
    odd = Principal(STAFF_ID, Role.AGENT, ACME, Scope.OWN)
    assert can_see_incident(odd, requester_id=CAROL, organization_id=GLOBEX)
    assert can_see_entry(odd, Visibility.INTERNAL)


@pytest.mark.parametrize("principal", STAFF + CLIENTS)
@pytest.mark.parametrize("entry", list(Visibility))
def test_only_a_public_staff_reply_links_an_article(principal: str, entry: Visibility) -> None:
    expected = principal in STAFF and entry is Visibility.PUBLIC
    assert may_link_article(PRINCIPALS[principal], entry) is expected
