"""SQL for history entries and the attachments written with them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from desk_contracts.enums import EntryKind, Role, Visibility
from desk_contracts.messages import AttachmentMeta

from . import Db


async def insert_entry(
    conn: asyncpg.Connection,
    incident_id: UUID,
    *,
    kind: EntryKind,
    visibility: Visibility,
    text: str,
    at: datetime,
    author_id: UUID | None = None,
    author_role: Role | None = None,
    request_id: UUID | None = None,
    request_digest: str | None = None,
    facts: dict[str, str] | None = None,
    article: tuple[UUID, int] | None = None,
) -> UUID:
    entry_id = uuid4()
    # The caller's own UPDATE of the incident moves public_updated_at for a public entry
    # (one row version per change, not two).
    await conn.execute(
        "INSERT INTO entries (id, incident_id, kind, visibility, author_id, author_role, text, "
        "created_at, request_id, request_digest, facts, article_id, article_version) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        entry_id,
        incident_id,
        kind.value,
        visibility.value,
        author_id,
        author_role.value if author_role else None,
        text,
        at,
        request_id,
        request_digest,
        facts,
        article[0] if article else None,
        article[1] if article else None,
    )
    return entry_id


async def entry_by_request(conn: Db, request_id: UUID) -> asyncpg.Record | None:
    """The entry a request id already wrote (its id and what the request asked)."""
    return await conn.fetchrow(
        "SELECT id, request_digest FROM entries WHERE request_id = $1", request_id
    )


async def insert_attachments(
    conn: asyncpg.Connection,
    incident_id: UUID,
    entry_id: UUID,
    files: Sequence[AttachmentMeta],
    at: datetime,
) -> None:
    await conn.executemany(
        "INSERT INTO attachments (id, incident_id, entry_id, filename, size, sha256, "
        "declared_type, sniffed_type, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            (
                f.attachment_id,
                incident_id,
                entry_id,
                f.filename,
                f.size,
                f.sha256,
                f.declared_type,
                f.sniffed_type,
                at,
            )
            for f in files
        ],
    )


async def entries(
    conn: Db, incident_id: UUID, visibilities: tuple[Visibility, ...]
) -> list[asyncpg.Record]:
    rows: list[Any] = await conn.fetch(
        "SELECT * FROM entries WHERE incident_id = $1 AND visibility = ANY($2::text[]) "
        "ORDER BY seq",
        incident_id,
        [v.value for v in visibilities],
    )
    return rows


async def attachments_of_incident(
    conn: Db, incident_id: UUID, visibilities: tuple[Visibility, ...]
) -> list[asyncpg.Record]:
    rows: list[Any] = await conn.fetch(
        "SELECT a.* FROM attachments a JOIN entries e ON e.id = a.entry_id "
        "WHERE a.incident_id = $1 AND e.visibility = ANY($2::text[]) ORDER BY a.created_at, a.id",
        incident_id,
        [v.value for v in visibilities],
    )
    return rows


async def attachment_with_scope(conn: Db, attachment_id: UUID) -> asyncpg.Record | None:
    """The attachment with what decides who may see it: its entry and incident."""
    return await conn.fetchrow(
        "SELECT a.*, e.visibility, i.requester_id, i.organization_id FROM attachments a "
        "JOIN entries e ON e.id = a.entry_id JOIN incidents i ON i.id = a.incident_id "
        "WHERE a.id = $1",
        attachment_id,
    )
