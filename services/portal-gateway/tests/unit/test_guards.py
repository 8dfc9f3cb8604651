"""The role guards: each lets exactly its roles in and refuses everyone else with the
403 the routes answered before; without a signed-in principal nobody passes."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import pytest
from desk_contracts.enums import Locale, Role, Scope
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from portal_gateway.accounts import Session, User
from portal_gateway.domain.agents.guards import self_or_admin
from portal_gateway.domain.incidents.guards import clients_only
from portal_gateway.guards import admins_only, operators_only, staff_only

Guard = Callable[[Any, Any], None]


def _connection(role: Role, user_id: UUID | None = None, **path_params: object) -> Any:
    user = User(
        id=user_id or uuid4(),
        username="someone",
        display_name="Someone",
        email=None,
        phone=None,
        locale=Locale.EN,
        role=role,
        organization_id=uuid4() if role is Role.CLIENT else None,
        scope=Scope.OWN if role is Role.CLIENT else None,
        active=True,
    )
    session = Session(user=user, kind="bearer", csrf_token=None, allow_list=())
    return SimpleNamespace(state=SimpleNamespace(session=session), path_params=path_params)


ALLOWED: dict[str, tuple[Guard, set[Role], str]] = {
    "staff_only": (staff_only, {r for r in Role if r.is_staff}, "staff only"),
    "admins_only": (admins_only, {Role.ADMIN}, "admins only"),
    "operators_only": (operators_only, {Role.ADMIN, Role.OPERATOR}, "admins and operators only"),
    "clients_only": (clients_only, {Role.CLIENT}, "the portal files incidents for clients"),
}


@pytest.mark.parametrize("name", list(ALLOWED))
@pytest.mark.parametrize("role", list(Role))
def test_a_role_guard_lets_in_exactly_its_roles(name: str, role: Role) -> None:
    guard, roles, message = ALLOWED[name]
    if role in roles:
        assert guard(_connection(role), None) is None
    else:
        with pytest.raises(PermissionDeniedException) as refused:
            guard(_connection(role), None)
        assert refused.value.status_code == 403
        assert refused.value.detail == message


@pytest.mark.parametrize("name", list(ALLOWED))
def test_no_principal_no_entry(name: str) -> None:
    guard = ALLOWED[name][0]
    with pytest.raises(NotAuthorizedException):
        guard(SimpleNamespace(state=SimpleNamespace(), path_params={}), None)


@pytest.mark.parametrize("role", [r for r in Role if r.is_staff])
def test_presence_is_set_by_the_agent_itself_or_an_admin(role: Role) -> None:
    me = uuid4()
    assert self_or_admin(_connection(role, me, agent_id=me), None) is None
    other = _connection(role, me, agent_id=uuid4())
    if role is Role.ADMIN:
        assert self_or_admin(other, None) is None
    else:
        with pytest.raises(PermissionDeniedException, match="only the agent itself or an admin"):
            self_or_admin(other, None)
