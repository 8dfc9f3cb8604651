"""The client scope rule is stated once (`visibility.incident_scope`); what PostgreSQL
returns for the SQL filters built from it is exactly what `can_see_incident` allows,
for generated principals and incidents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg
import pytest
import pytest_asyncio
from desk_contracts.enums import Role, Scope
from desk_contracts.messages import CreateIncident, ListIncidents, Principal, UpsertCategory
from desk_runtime.db import ensure_database
from desk_runtime.migrations import RUNTIME_MIGRATIONS, migrate
from desk_runtime.settings import DeskSettings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from intake import listing
from intake.app import MIGRATIONS
from intake.domain.visibility import can_see_incident
from intake.store import categories as category_store
from intake.store import incidents as incident_store
from intake.views import view_principal

pytestmark = pytest.mark.integration

# Few organizations and people, so generated incidents and principals meet often.
ORGANIZATIONS = [UUID(int=0xA0 + n) for n in range(3)]
PEOPLE = [UUID(int=0x10 + n) for n in range(4)]
CATEGORY = UpsertCategory(category_id=uuid4(), code="scope", name="Scope")
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORD = "printer"

clients = st.builds(
    lambda user, org, scope: Principal(
        user_id=user, role=Role.CLIENT, organization_id=org, scope=scope
    ),
    st.sampled_from(PEOPLE),
    st.sampled_from(ORGANIZATIONS),
    st.sampled_from(list(Scope)),
)
staff = st.builds(
    lambda user, role: Principal(user_id=user, role=role),
    st.sampled_from(PEOPLE),
    st.sampled_from([r for r in Role if r.is_staff]),
)
# (requester, organization) of each incident.
incidents = st.lists(
    st.tuples(st.sampled_from(PEOPLE), st.sampled_from(ORGANIZATIONS)), max_size=12
)


@pytest_asyncio.fixture
async def conn(desk_settings: DeskSettings) -> AsyncIterator[asyncpg.Connection]:
    """Intake's own database with its tables and one category."""
    await ensure_database(desk_settings, "intake")
    connection = await asyncpg.connect(desk_settings.database_url("intake"))
    try:
        await migrate(connection, [("runtime", RUNTIME_MIGRATIONS), ("intake", MIGRATIONS)])
        await category_store.save(connection, CATEGORY, [CATEGORY.code])
        yield connection
    finally:
        await connection.close()


async def file(conn: asyncpg.Connection, requester: UUID, organization: UUID) -> UUID:
    incident_id = uuid4()
    row = await incident_store.insert(
        conn,
        incident_id,
        CreateIncident(
            request_id=uuid4(),
            principal=Principal(user_id=uuid4(), role=Role.AGENT),
            requester_id=requester,
            organization_id=organization,
            title=f"The {WORD} jams",
            category_id=CATEGORY.category_id,
        ),
        category_path=(CATEGORY.code,),
        at=AT,
        digest="-",
    )
    assert row is not None
    return incident_id


async def ids(conn: asyncpg.Connection, table: str, where: listing.Filter) -> set[UUID]:
    column = "id" if table == "incidents" else "incident_id"
    rows = await conn.fetch(f"SELECT {column} FROM {table} WHERE {where.where}", *where.args)
    return {r[column] for r in rows}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(filed=incidents, principals=st.lists(st.one_of(clients, staff), min_size=1, max_size=6))
async def test_the_sql_scope_returns_what_the_predicate_allows(
    conn: asyncpg.Connection,
    filed: list[tuple[UUID, UUID]],
    principals: list[Principal],
) -> None:
    transaction = conn.transaction()
    await transaction.start()
    try:
        facts = {await file(conn, r, o): (r, o) for r, o in filed}
        for principal in principals:
            viewer = view_principal(principal)
            allowed = {
                incident
                for incident, (requester, organization) in facts.items()
                if can_see_incident(viewer, requester_id=requester, organization_id=organization)
            }
            assert await ids(conn, "incidents", listing.scope_filter(viewer)) == allowed
            # A list with no filters, and a search every incident matches, are the scope.
            unfiltered = listing.list_filter(
                ListIncidents(principal=principal), viewer, category_path=None, now=AT
            )
            assert await ids(conn, "incidents", unfiltered) == allowed
            searched = listing.search_filter(WORD, viewer)
            assert await ids(conn, "incident_search", searched) == allowed
    finally:
        await transaction.rollback()
