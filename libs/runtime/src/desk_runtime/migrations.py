"""Versioned SQL migrations, applied in order at start under an advisory lock.

Each track (the runtime's own tables, then the service's) is a folder of files named
`NNNN_description.sql`; a file runs once, in one transaction with its bookkeeping row.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from .logging import get_logger

log = get_logger(__name__)

RUNTIME_MIGRATIONS = Path(__file__).parent / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Any constant works: it only has to be the same for every instance of every service.
_LOCK_KEY = 0x6465736B


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    track: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_track(track: str, folder: Path) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: expected a name like 0001_create_things.sql")
        found.append(Migration(track, int(match[1]), match[2], path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{folder}: two migrations share a version number")
    return found


async def migrate(conn: asyncpg.Connection, tracks: list[tuple[str, Path]]) -> int:
    """Apply what is missing; returns how many files ran. Safe with concurrent starts."""
    applied_now = 0
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                track text NOT NULL,
                version integer NOT NULL,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (track, version)
            )
            """
        )
        for track, folder in tracks:
            done = {
                row["version"]: row["checksum"]
                for row in await conn.fetch(
                    "SELECT version, checksum FROM schema_migrations WHERE track = $1", track
                )
            }
            for migration in load_track(track, folder):
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise MigrationError(
                            f"{track}/{migration.version:04d}_{migration.name} changed after "
                            "it was applied; add a new migration instead"
                        )
                    continue
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (track, version, name, checksum) "
                        "VALUES ($1, $2, $3, $4)",
                        track,
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
                applied_now += 1
                log.info(
                    "migration_applied",
                    track=track,
                    version=migration.version,
                    migration=migration.name,
                )
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied_now
