"""Notify's tables as its handlers and answers see them, and the only place they speak
SQL: the facts that address people (contacts, organizations, categories, agents,
incidents), the deliveries queued, the preferences and the delivery log. The sender's
own statements (claim, lease, record) are the sending mechanism's (`sender.py`,
`accepted.py`).

An incident notify has not seen registered, or a user whose contact point has not
arrived, is a fact still on its way: the reads that need one raise `NotYet` for it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID, uuid4

import asyncpg
from desk_contracts.messages import (
    AgentProfileChanged,
    CategoryUpserted,
    IncidentRegistered,
    OrganizationUpserted,
    UserUpserted,
)
from desk_runtime.errors import NotYet

Db: TypeAlias = asyncpg.Connection | asyncpg.Pool

# The facts events wait for: an incident's registration, a user's contact point.
INCIDENT = "incident"
CONTACT = "contact"

# What the delivery log shows of one delivery.
VIEW_COLUMNS = """
    id, event_id, event_kind, incident_id, recipient_id, channel, address, locale, subject,
    status, attempts, last_error, created_at, next_attempt_at, sent_at, failed_at
"""


# --- facts --------------------------------------------------------------------------------


async def save_contact(conn: asyncpg.Connection, user: UserUpserted) -> None:
    await conn.execute(
        """
        INSERT INTO contacts (user_id, username, display_name, email, phone, locale, role,
            organization_id, active, scope, time_zone)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (user_id) DO UPDATE SET username = EXCLUDED.username,
            display_name = EXCLUDED.display_name, email = EXCLUDED.email,
            phone = EXCLUDED.phone, locale = EXCLUDED.locale, role = EXCLUDED.role,
            organization_id = EXCLUDED.organization_id, active = EXCLUDED.active,
            scope = EXCLUDED.scope, time_zone = EXCLUDED.time_zone, updated_at = now()
        """,
        user.user_id,
        user.username,
        user.display_name,
        user.email,
        user.phone,
        user.locale.value,
        user.role.value,
        user.organization_id,
        user.active,
        user.scope.value if user.scope else None,
        user.time_zone,
    )


async def save_organization(conn: asyncpg.Connection, organization: OrganizationUpserted) -> None:
    await conn.execute(
        """
        INSERT INTO organizations (organization_id, name, account_manager_id)
        VALUES ($1, $2, $3)
        ON CONFLICT (organization_id) DO UPDATE SET name = EXCLUDED.name,
            account_manager_id = EXCLUDED.account_manager_id, updated_at = now()
        """,
        organization.organization_id,
        organization.name,
        organization.account_manager_id,
    )


async def save_category(conn: asyncpg.Connection, category: CategoryUpserted) -> None:
    await conn.execute(
        """
        INSERT INTO categories (category_id, path, name, escalation_contact_id)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (category_id) DO UPDATE SET path = EXCLUDED.path,
            name = EXCLUDED.name, escalation_contact_id = EXCLUDED.escalation_contact_id,
            updated_at = now()
        """,
        category.category_id,
        list(category.path),
        category.name,
        category.escalation_contact_id,
    )


async def save_agent(conn: asyncpg.Connection, agent: AgentProfileChanged) -> None:
    await conn.execute(
        """
        INSERT INTO agents (agent_id, group_head_id) VALUES ($1, $2)
        ON CONFLICT (agent_id) DO UPDATE SET group_head_id = EXCLUDED.group_head_id,
            updated_at = now()
        """,
        agent.agent_id,
        agent.group_head_id,
    )


async def save_incident(conn: asyncpg.Connection, incident: IncidentRegistered) -> None:
    await conn.execute(
        """
        INSERT INTO incidents (incident_id, number, title, requester_id, organization_id,
            category_id, category_path, priority)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (incident_id) DO NOTHING
        """,
        incident.incident_id,
        incident.number,
        incident.title,
        incident.requester_id,
        incident.organization_id,
        incident.category_id,
        list(incident.category_path),
        incident.priority.value,
    )


async def known_incident(conn: asyncpg.Connection, incident_id: UUID) -> asyncpg.Record:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM incidents WHERE incident_id = $1", incident_id
    )
    if row is None:
        # Its registration travels on another queue and may come later.
        raise NotYet(INCIDENT, incident_id)
    return row


async def change_incident(
    conn: asyncpg.Connection, incident_id: UUID, changes: str, *values: Any
) -> asyncpg.Record:
    """Apply `changes` (a SET list over $2, $3…) to a known incident and return the row as
    it now is, in one round trip."""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"UPDATE incidents SET {changes} WHERE incident_id = $1 RETURNING *", incident_id, *values
    )
    if row is None:
        # Its registration travels on another queue and may come later.
        raise NotYet(INCIDENT, incident_id)
    return row


async def change_status(
    conn: asyncpg.Connection, incident_id: UUID, status: str, at: datetime
) -> asyncpg.Record | None:
    """The incident's status as of `at`, applied only if no later change has been
    (changes may arrive out of order); the row as it now is, or None if not applied."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "UPDATE incidents SET status = $2, status_changed_at = $3 WHERE incident_id = $1 "
        "AND (status_changed_at IS NULL OR status_changed_at <= $3) RETURNING *",
        incident_id,
        status,
        at,
    )
    return row


async def change_deadlines(
    conn: asyncpg.Connection,
    incident_id: UUID,
    response_due: datetime,
    resolution_due: datetime,
    computed_at: datetime,
    time_zone: str | None = None,
) -> bool:
    """The due times of the computation made `computed_at` (and its calendar's zone),
    unless a later one's are kept; whether they were applied."""
    applied = await conn.fetchval(
        "UPDATE incidents SET response_due = $2, resolution_due = $3, "
        "deadlines_computed_at = $4, time_zone = coalesce($5, time_zone) "
        "WHERE incident_id = $1 "
        "AND (deadlines_computed_at IS NULL OR deadlines_computed_at <= $4) "
        "RETURNING true",
        incident_id,
        response_due,
        resolution_due,
        computed_at,
        time_zone,
    )
    return bool(applied)


async def overtaken(conn: asyncpg.Connection, incident_id: UUID, column: str, at: datetime) -> None:
    """After an update applied only if nothing later was (`column` <= `at`) found no
    row: returns if a later change is applied indeed (this one is moot). Raises NotYet if
    the incident is not registered — also when its registration committed just after the
    update looked, so the change is applied when tried again, never taken for overtaken."""
    later = await conn.fetchval(
        f"SELECT {column} > $2 FROM incidents WHERE incident_id = $1", incident_id, at
    )
    if not later:
        raise NotYet(INCIDENT, incident_id)


async def author(conn: asyncpg.Connection, user_id: UUID) -> asyncpg.Record | None:
    """The name and role of an entry's author, if their contact point is known."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT display_name, role FROM contacts WHERE user_id = $1", user_id
    )
    return row


async def account_manager_of(conn: asyncpg.Connection, organization_id: UUID) -> UUID | None:
    manager: UUID | None = await conn.fetchval(
        "SELECT account_manager_id FROM organizations WHERE organization_id = $1",
        organization_id,
    )
    return manager


async def organization_name(conn: asyncpg.Connection, organization_id: UUID) -> str:
    name: str | None = await conn.fetchval(
        "SELECT name FROM organizations WHERE organization_id = $1", organization_id
    )
    return name or str(organization_id)


async def organization_wide_clients(conn: asyncpg.Connection, organization_id: UUID) -> list[UUID]:
    """The organization's active clients who see its whole work (scope organization)."""
    rows = await conn.fetch(
        "SELECT user_id FROM contacts WHERE organization_id = $1 AND role = 'client' "
        "AND scope = 'organization' AND active ORDER BY user_id",
        organization_id,
    )
    return [row["user_id"] for row in rows]


async def group_head_of(conn: asyncpg.Connection, agent_id: UUID | None) -> UUID | None:
    if agent_id is None:
        return None
    head: UUID | None = await conn.fetchval(
        "SELECT group_head_id FROM agents WHERE agent_id = $1", agent_id
    )
    return head


async def active_users_with_role(conn: asyncpg.Connection, role: str) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT user_id FROM contacts WHERE role = $1 AND active ORDER BY user_id", role
    )
    return [row["user_id"] for row in rows]


async def escalation_contacts(
    conn: asyncpg.Connection, path: tuple[str, ...]
) -> list[tuple[tuple[str, ...], UUID]]:
    """(category path, escalation contact) of every category on `path` that has one."""
    rows = await conn.fetch(
        "SELECT path, escalation_contact_id FROM categories "
        "WHERE escalation_contact_id IS NOT NULL AND path <@ $1::text[]",
        list(path),
    )
    return [(tuple(row["path"]), row["escalation_contact_id"]) for row in rows]


# --- deliveries ---------------------------------------------------------------------------


async def contact_for(conn: asyncpg.Connection, user_id: UUID, kind: str) -> asyncpg.Record:
    """The user's contact point and their choices for this kind of event in one round
    trip (`chosen_channels`, `chosen_enabled`); NotYet while it has not arrived."""
    contact: asyncpg.Record | None = await conn.fetchrow(
        """
        SELECT c.*,
            array(SELECT p.channel FROM notification_preferences p
                  WHERE p.user_id = c.user_id AND p.event_kind = $2
                  ORDER BY p.channel) AS chosen_channels,
            array(SELECT p.enabled FROM notification_preferences p
                  WHERE p.user_id = c.user_id AND p.event_kind = $2
                  ORDER BY p.channel) AS chosen_enabled
        FROM contacts c WHERE c.user_id = $1
        """,
        user_id,
        kind,
    )
    if contact is None:
        # The user's own event is still on its way: this one waits for it.
        raise NotYet(CONTACT, user_id, f"no contact point for {user_id} yet")
    return contact


async def queue_delivery(
    conn: asyncpg.Connection,
    *,
    event_id: UUID,
    kind: str,
    incident_id: UUID | None,
    recipient_id: UUID,
    channel: str,
    address: str,
    locale: str,
    subject: str,
    text: str,
    html: str | None,
    reason: str,
    due_at: datetime | None = None,
    gathering_until: datetime | None = None,
) -> UUID | None:
    """One delivery, unique on (event, recipient, channel): its id when it is new (a
    redelivered event inserts nothing). One that gathers changes is due at `due_at`
    and takes more until `gathering_until` or the sender's claim."""
    delivery_id: UUID | None = await conn.fetchval(
        """
        INSERT INTO deliveries (id, event_id, event_kind, incident_id, recipient_id,
            channel, address, locale, subject, body_text, body_html, reason,
            next_attempt_at, gathering_until)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, coalesce($13, now()), $14)
        ON CONFLICT (event_id, recipient_id, channel) DO NOTHING RETURNING id
        """,
        uuid4(),
        event_id,
        kind,
        incident_id,
        recipient_id,
        channel,
        address,
        locale,
        subject,
        text,
        html,
        reason,
        due_at,
        gathering_until,
    )
    return delivery_id


# --- changes gathered into one delivery (grouping.py) -------------------------------------


async def change_known(
    conn: asyncpg.Connection, event_id: UUID, recipient_id: UUID, channel: str
) -> bool:
    """Whether this event's change already rides a delivery to this recipient."""
    return bool(
        await conn.fetchval(
            "SELECT true FROM delivery_changes "
            "WHERE event_id = $1 AND recipient_id = $2 AND channel = $3",
            event_id,
            recipient_id,
            channel,
        )
    )


async def gathering(
    conn: asyncpg.Connection, incident_id: UUID, recipient_id: UUID, channel: str, kind: str
) -> asyncpg.Record | None:
    """The delivery still taking changes for (incident, recipient, channel, kind), locked
    until the transaction ends, with the changes it carries (oldest first). Two events
    of one burst handled at once take their turns here (the advisory lock), so they
    share one delivery; the sender's claim skips the locked row until then."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        f"notify-group:{incident_id}:{recipient_id}:{channel}:{kind}",
    )
    return await conn.fetchrow(
        """
        SELECT d.id, d.gathering_until, now() AS now,
            coalesce((SELECT array_agg(c.change ORDER BY c.position)
                      FROM delivery_changes c WHERE c.delivery_id = d.id), '{}') AS changes
        FROM deliveries d
        WHERE d.incident_id = $1 AND d.recipient_id = $2 AND d.channel = $3
            AND d.event_kind = $4 AND d.status = 'pending' AND d.gathering_until IS NOT NULL
        ORDER BY d.created_at DESC LIMIT 1
        FOR UPDATE
        """,
        incident_id,
        recipient_id,
        channel,
        kind,
    )


async def now(conn: asyncpg.Connection) -> datetime:
    """The database's time: the sender compares due times with it."""
    value: datetime = await conn.fetchval("SELECT now()")
    return value


async def add_change(
    conn: asyncpg.Connection,
    *,
    delivery_id: UUID,
    event_id: UUID,
    recipient_id: UUID,
    channel: str,
    position: int,
    change: dict[str, Any],
) -> None:
    await conn.execute(
        "INSERT INTO delivery_changes (event_id, recipient_id, channel, delivery_id, "
        "position, change) VALUES ($1, $2, $3, $4, $5, $6)",
        event_id,
        recipient_id,
        channel,
        delivery_id,
        position,
        change,
    )


async def regroup(
    conn: asyncpg.Connection,
    delivery_id: UUID,
    *,
    subject: str,
    text: str,
    html: str | None,
    due_at: datetime,
) -> None:
    """The gathering delivery's message, rewritten to carry every change, due later."""
    await conn.execute(
        "UPDATE deliveries SET subject = $2, body_text = $3, body_html = $4, "
        "next_attempt_at = $5 WHERE id = $1",
        delivery_id,
        subject,
        text,
        html,
        due_at,
    )


# --- preferences --------------------------------------------------------------------------


async def choices_of(db: Db, user_id: UUID) -> dict[tuple[str, str], bool]:
    """The user's own choices, by (event kind, channel)."""
    rows = await db.fetch(
        "SELECT event_kind, channel, enabled FROM notification_preferences WHERE user_id = $1",
        user_id,
    )
    return {(row["event_kind"], row["channel"]): row["enabled"] for row in rows}


async def save_choices(
    conn: asyncpg.Connection, user_id: UUID, choices: list[tuple[str, str, bool]]
) -> None:
    """(event kind, channel, enabled) of each choice the user changes."""
    await conn.executemany(
        """
        INSERT INTO notification_preferences (user_id, event_kind, channel, enabled)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (user_id, event_kind, channel) DO UPDATE
        SET enabled = EXCLUDED.enabled, updated_at = now()
        """,
        [(user_id, kind, channel, enabled) for kind, channel, enabled in choices],
    )


# --- the delivery log ---------------------------------------------------------------------


async def deliveries_page(
    pool: asyncpg.Pool,
    incident_id: UUID | None,
    recipient_id: UUID | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    """Deliveries newest first, filtered by incident, recipient and status, and how many
    match."""
    where = (
        "($1::uuid IS NULL OR incident_id = $1) AND ($2::uuid IS NULL OR recipient_id = $2)"
        " AND ($3::text IS NULL OR status = $3)"
    )
    params = (incident_id, recipient_id, status)
    total = await pool.fetchval(f"SELECT count(*) FROM deliveries WHERE {where}", *params)
    rows = await pool.fetch(
        f"SELECT {VIEW_COLUMNS} FROM deliveries WHERE {where} "
        "ORDER BY created_at DESC, id LIMIT $4 OFFSET $5",
        *params,
        limit,
        offset,
    )
    return rows, total


async def delivery(
    pool: asyncpg.Pool, delivery_id: Any
) -> tuple[asyncpg.Record, list[asyncpg.Record]] | None:
    """One delivery with its text, and every attempt at it in order."""
    row = await pool.fetchrow(
        f"SELECT {VIEW_COLUMNS}, body_text FROM deliveries WHERE id = $1", delivery_id
    )
    if row is None:
        return None
    attempts = await pool.fetch(
        "SELECT attempt, attempted_at, outcome, answer FROM delivery_attempts "
        "WHERE delivery_id = $1 ORDER BY id",
        delivery_id,
    )
    return row, attempts


async def lock_status(conn: asyncpg.Connection, delivery_id: UUID) -> str | None:
    status: str | None = await conn.fetchval(
        "SELECT status FROM deliveries WHERE id = $1 FOR UPDATE", delivery_id
    )
    return status


async def replay(conn: asyncpg.Connection, delivery_id: UUID, by: UUID) -> None:
    """A failed delivery gets a fresh set of attempts (its dead letter marked replayed),
    and the sender is woken."""
    await conn.execute(
        "UPDATE deliveries SET status = 'pending', attempts = 0, failed_at = NULL, "
        "next_attempt_at = now() WHERE id = $1",
        delivery_id,
    )
    await conn.execute(
        "UPDATE dead_letters SET replayed_at = now(), replayed_by = $2 "
        "WHERE delivery_id = $1 AND replayed_at IS NULL",
        delivery_id,
        by,
    )
    await conn.execute("SELECT pg_notify('deliveries', '')")


async def mail_incident(pool: asyncpg.Pool, delivery_id: Any) -> Any:
    """The incident of an e-mail delivery, None for none (or no such e-mail)."""
    return await pool.fetchval(
        "SELECT incident_id FROM deliveries WHERE id = $1 AND channel = 'email'", delivery_id
    )
