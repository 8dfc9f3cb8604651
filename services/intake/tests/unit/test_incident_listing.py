"""The scope part of every list, search and count: a client's filter always pins its
organization (and itself for scope `own`) and searches the public vector only."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from desk_contracts.enums import Priority, Role, Scope, Status
from desk_contracts.messages import ListIncidents, Principal
from intake.domain.visibility import Principal as ViewPrincipal
from intake.listing import (
    SORTS,
    count_statement,
    incident_number,
    list_filter,
    order_by,
    scope_filter,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ORG = uuid4()


def _principal(role: Role, scope: Scope | None = None) -> tuple[Principal, ViewPrincipal]:
    user = uuid4()
    org = ORG if role is Role.CLIENT else None
    return (
        Principal(user_id=user, role=role, organization_id=org, scope=scope),
        ViewPrincipal(user_id=user, role=role, organization_id=org, scope=scope),
    )


def test_staff_see_everything() -> None:
    _, staff = _principal(Role.AGENT)
    assert scope_filter(staff).where == "true"


def test_client_with_own_scope_is_pinned_to_itself_and_its_organization() -> None:
    _, client = _principal(Role.CLIENT, Scope.OWN)
    where = scope_filter(client)
    assert where.where == "organization_id = $1 AND requester_id = $2"
    assert where.args == [ORG, client.user_id]


def test_client_with_organization_scope_is_pinned_to_its_organization() -> None:
    _, client = _principal(Role.CLIENT, Scope.ORGANIZATION)
    where = scope_filter(client)
    assert where.where == "organization_id = $1"


@pytest.mark.parametrize("role", [Role.CLIENT, Role.AGENT])
def test_search_uses_the_vector_the_principal_may_read(role: Role) -> None:
    message, view = _principal(role, Scope.ORGANIZATION if role is Role.CLIENT else None)
    query = ListIncidents(principal=message, q=" принтер ")
    where = list_filter(query, view, category_path=None, now=NOW)
    column = "search_public" if role is Role.CLIENT else "search_all"
    assert f"{column} @@ desk_tsquery(${len(where.args)}))" in where.where
    assert where.args[-1] == "принтер"


def test_a_clients_search_carries_its_scope_into_the_search_table() -> None:
    message, view = _principal(Role.CLIENT, Scope.OWN)
    query = ListIncidents(principal=message, q="printer", statuses=(Status.NEW,))
    where = list_filter(query, view, category_path=None, now=NOW)
    assert where.where == (
        "organization_id = $1 AND requester_id = $2 AND status = ANY($3::text[]) AND "
        "id IN (SELECT incident_id FROM incident_search WHERE organization_id = $4 "
        "AND requester_id = $5 AND search_public @@ desk_tsquery($6))"
    )
    assert where.args == [ORG, view.user_id, ["new"], ORG, view.user_id, "printer"]


@pytest.mark.parametrize("role", [Role.CLIENT, Role.AGENT])
def test_a_plain_search_is_counted_on_the_search_table_alone(role: Role) -> None:
    message, view = _principal(role, Scope.OWN if role is Role.CLIENT else None)
    sql, args = count_statement(
        ListIncidents(principal=message, q="printer"), view, category_path=None, now=NOW, cap=99
    )
    assert sql.startswith("SELECT count(*) FROM (SELECT 1 FROM incident_search WHERE ")
    assert sql.endswith("LIMIT 100) AS c")
    if role is Role.CLIENT:
        assert "organization_id = $1 AND requester_id = $2" in sql
        assert args == [ORG, view.user_id, "printer"]
    else:
        assert args == ["printer"]


def test_a_filtered_search_is_counted_on_the_incidents() -> None:
    message, view = _principal(Role.CLIENT, Scope.ORGANIZATION)
    query = ListIncidents(principal=message, q="printer", priorities=(Priority.HIGH,))
    sql, args = count_statement(query, view, category_path=None, now=NOW, cap=10)
    page = list_filter(query, view, category_path=None, now=NOW)
    assert sql == f"SELECT count(*) FROM (SELECT 1 FROM incidents WHERE {page.where} LIMIT 11) AS c"
    assert args == page.args


def test_every_filter_gets_its_own_numbered_parameter() -> None:
    message, view = _principal(Role.CLIENT, Scope.OWN)
    query = ListIncidents(
        principal=message,
        statuses=(Status.NEW, Status.ASSIGNED),
        priorities=(Priority.HIGH,),
        assignee_id=uuid4(),
        organization_id=uuid4(),
        overdue=True,
        q="x",
    )
    where = list_filter(query, view, category_path=("fault", "software"), now=NOW)
    for n in range(1, len(where.args) + 1):
        assert f"${n}" in where.where
    assert f"${len(where.args) + 1}" not in where.where
    assert "category_path[1:$4] = $5::text[]" in where.where


def test_unassigned_wins_over_an_assignee() -> None:
    message, view = _principal(Role.AGENT)
    query = ListIncidents(principal=message, unassigned=True, assignee_id=uuid4())
    assert list_filter(query, view, category_path=None, now=NOW).where == "assignee_id IS NULL"


@pytest.mark.parametrize("role", list(Role))
def test_every_sort_is_stable(role: Role) -> None:
    _, view = _principal(role, Scope.ORGANIZATION if role is Role.CLIENT else None)
    for sort in SORTS:
        assert order_by(sort, view).endswith(("id ASC", "id DESC"))


def test_a_client_sorts_by_the_last_change_it_can_see() -> None:
    _, client = _principal(Role.CLIENT, Scope.OWN)
    _, agent = _principal(Role.AGENT)
    assert order_by("-updated", client) == "public_updated_at DESC, id DESC"
    assert order_by("-updated", agent) == "updated_at DESC, id DESC"
    assert order_by("-created", client) == order_by("-created", agent)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("INC-000003", "INC-000003"),
        ("inc-000003", "INC-000003"),
        ("INC3", "INC-000003"),
        ("inc 42", "INC-000042"),
        ("000003", "INC-000003"),
        ("3", "INC-000003"),
        ("#1234567", "INC-1234567"),
        (" 17 ", "INC-000017"),
        ("0", None),
        ("INC-", None),
        ("printer 3", None),
        ("3.5", None),
        ("1234567890", None),
    ],
)
def test_a_number_is_read_in_any_of_the_ways_people_type_it(typed: str, number: str | None) -> None:
    assert incident_number(typed) == number


def test_a_number_search_matches_the_number_or_the_words_within_scope() -> None:
    message, view = _principal(Role.CLIENT, Scope.OWN)
    query = ListIncidents(principal=message, q="000003")
    where = list_filter(query, view, category_path=None, now=NOW)
    assert where.where == (
        "organization_id = $1 AND requester_id = $2 AND (number = $6 OR "
        "id IN (SELECT incident_id FROM incident_search WHERE organization_id = $3 "
        "AND requester_id = $4 AND search_public @@ desk_tsquery($5)))"
    )
    assert where.args == [ORG, view.user_id, ORG, view.user_id, "000003", "INC-000003"]
    sql, _ = count_statement(query, view, category_path=None, now=NOW, cap=100)
    assert "FROM incidents WHERE" in sql


def test_a_number_finds_one_incident_within_the_clients_scope() -> None:
    message, view = _principal(Role.CLIENT, Scope.OWN)
    query = ListIncidents(principal=message, number="INC-000123")
    where = list_filter(query, view, category_path=None, now=NOW)
    assert where.where == "organization_id = $1 AND requester_id = $2 AND number = $3"
    assert where.args == [ORG, view.user_id, "INC-000123"]


@pytest.mark.parametrize("number", ["INC-12", "inc-000123", "INC-000123; drop", ""])
def test_a_number_not_in_the_desks_form_is_refused(number: str) -> None:
    message, _ = _principal(Role.AGENT)
    with pytest.raises(ValueError, match="number"):
        ListIncidents(principal=message, number=number)
