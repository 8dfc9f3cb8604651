"""Pure parts of the runtime: settings, migration files, log rendering, backoff, docs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from desk_runtime.docs import message_schemas
from desk_runtime.migrations import MigrationError, load_track
from desk_runtime.retry import DependencyUnavailable, with_backoff
from desk_runtime.settings import DeskSettings
from desk_runtime.supervisor import pretty


def test_each_service_has_its_database_and_port() -> None:
    settings = DeskSettings(namespace="demo", http_port=9000)
    assert settings.database_name("portal-gateway") == "demo_portal_gateway"
    assert settings.database_url("sla") == "postgresql://postgres@127.0.0.1:5432/demo_sla"
    ports = {
        settings.service_port(s) for s in ("portal-gateway", "intake", "sla", "routing", "notify")
    }
    assert ports == {9000, 9001, 9002, 9003, 9004}


def test_namespace_must_be_a_safe_identifier() -> None:
    with pytest.raises(ValueError, match="namespace"):
        DeskSettings(namespace="Drop Table")


def test_migration_files_need_a_version_and_unique_numbers(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "0002_second.sql").write_text("SELECT 2;")
    assert [m.version for m in load_track("t", tmp_path)] == [1, 2]
    (tmp_path / "0002_again.sql").write_text("SELECT 3;")
    with pytest.raises(MigrationError, match="share a version"):
        load_track("t", tmp_path)
    (tmp_path / "notes.sql").write_text("")
    with pytest.raises(MigrationError, match="0001_create_things"):
        load_track("t", tmp_path)


def test_json_log_lines_are_rendered_readably() -> None:
    line = json.dumps(
        {
            "event": "delivery_sent",
            "level": "info",
            "service": "notify",
            "timestamp": "2026-11-23T10:00:01.123456Z",
            "attempt": 1,
        }
    )
    assert pretty(line) == "10:00:01.123 info    delivery_sent attempt=1"
    assert pretty("plain text") == "plain text"


async def test_backoff_gives_up_with_a_clear_error() -> None:
    attempts = 0

    async def refuse() -> None:
        nonlocal attempts
        attempts += 1
        raise ConnectionRefusedError("connection refused")

    with pytest.raises(DependencyUnavailable, match="PostgreSQL is not reachable"):
        await with_backoff("PostgreSQL", refuse, timeout=0.3, first_delay=0.05)
    assert attempts >= 2


def test_every_message_has_a_json_schema_with_its_routing_key() -> None:
    schemas = message_schemas()
    assert schemas["IncidentRegistered"]["x-routing-key"] == "incident.registered"
    assert "payload" not in schemas["IncidentRegistered"]["properties"]
    assert "incident_id" in schemas["IncidentRegistered"]["required"]
