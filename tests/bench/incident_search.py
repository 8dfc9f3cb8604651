"""List and search latency through the gateway over 100,000 incidents with entries.

    python -m tests.bench.incident_search [--incidents 100000] [--requests 200]

Starts the five services as processes in a namespace of its own with the demo data,
seeds intake's database of that namespace directly with bulk SQL (the benchmark's
fixture: two entries per incident, one public and one internal, English and Russian
texts), then times the incident list and full-text search through the HTTP API as a
staff member and as a client, sequentially, and reports p50/p95 (target p95 < 50 ms).
Prints a table and writes bench-results/incident_search.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx
from desk_runtime import loop as desk_loop
from desk_runtime.testing import (
    wait_until,
)
from portal_gateway.seed import DEMO_PASSWORD, demo_id

from .common import demo_desk

RESULTS = Path("bench-results")
TARGET_P95_MS = 50.0


# Words mixed into titles and entries so searches hit a realistic share of the rows.
EN_WORDS = [
    "printer",
    "invoice",
    "export",
    "login",
    "report",
    "server",
    "network",
    "drawing",
    "crash",
    "timeout",
    "update",
    "license",
    "backup",
    "scanner",
    "database",
    "email",
]
RU_WORDS = [
    "принтер",
    "накладная",
    "отчёт",
    "сервер",
    "сеть",
    "чертёж",
    "ошибка",
    "обновление",
    "лицензия",
    "резервная",
    "сканер",
    "почта",
    "доступ",
    "выгрузка",
    "база",
    "печать",
]

SEED_SQL = """
WITH cats AS (
    SELECT id, path, row_number() OVER (ORDER BY path) - 1 AS k, count(*) OVER () AS total
    FROM categories
), words AS (
    SELECT $2::text[] AS en, $3::text[] AS ru
)
INSERT INTO incidents (id, number, request_id, title, description, category_id,
    category_path, priority, channel, status, requester_id, organization_id,
    assignee_id, response_due, resolution_due, created_at, updated_at)
SELECT
    md5('bench-incident-' || n)::uuid,
    'BENCH-' || lpad(n::text, 7, '0'),
    md5('bench-request-' || n)::uuid,
    initcap(words.en[1 + n % 16]) || ' ' || words.en[1 + (n / 16) % 16] || ' — '
        || words.ru[1 + (n / 7) % 16] || ' ' || words.ru[1 + (n / 3) % 16] || ' #' || n,
    'The ' || words.en[1 + (n / 5) % 16] || ' stopped working after the '
        || words.en[1 + (n / 11) % 16] || '. Не работает ' || words.ru[1 + (n / 13) % 16] || '.',
    cats.id,
    cats.path,
    (ARRAY['critical','high','normal','low'])[1 + n % 4],
    (ARRAY['portal','api','email','phone'])[1 + n % 4],
    (ARRAY['new','assigned','in_progress','waiting_on_client','resolved','closed'])[1 + n % 6],
    CASE WHEN n % 10 = 0 THEN $4::uuid WHEN n % 10 = 1 THEN $5::uuid
         ELSE md5('bench-requester-' || n % 500)::uuid END,
    CASE WHEN n % 10 < 2 THEN $6::uuid ELSE md5('bench-org-' || n % 50)::uuid END,
    CASE WHEN n % 3 = 0 THEN NULL ELSE $7::uuid END,
    now() - (n || ' minutes')::interval + interval '2 hours',
    now() - (n || ' minutes')::interval + interval '1 day',
    now() - (n || ' minutes')::interval,
    now() - (n || ' minutes')::interval + interval '5 minutes'
FROM generate_series(1, $1::int) AS n JOIN cats ON cats.k = n % cats.total, words
"""

ENTRIES_SQL = """
INSERT INTO entries (id, incident_id, kind, visibility, author_id, author_role, text, created_at)
SELECT md5('bench-entry-' || n || '-' || v)::uuid, md5('bench-incident-' || n)::uuid,
    'comment', CASE WHEN v = 1 THEN 'public' ELSE 'internal' END, $2::uuid, 'agent',
    CASE WHEN v = 1
        THEN 'Please check the ' || ($3::text[])[1 + (n / 17) % 16] || ' settings and try again. '
             || 'Проверьте ' || ($4::text[])[1 + (n / 19) % 16] || ', пожалуйста.'
        ELSE 'Internal: vendor ticket opened for ' || ($3::text[])[1 + (n / 23) % 16] || '.'
    END,
    now() - (n || ' minutes')::interval + (v || ' minutes')::interval
FROM generate_series(1, $1::int) AS n, generate_series(1, 2) AS v
"""

VECTORS_SQL = """
INSERT INTO incident_search (incident_id, organization_id, requester_id, search_public, search_all)
SELECT i.id, i.organization_id, i.requester_id,
    desk_tsvector('A', i.title) || desk_tsvector('B', i.description)
        || desk_tsvector('C', e.public_text),
    desk_tsvector('A', i.title) || desk_tsvector('B', i.description)
        || desk_tsvector('C', e.all_text)
FROM incidents i JOIN (
    SELECT incident_id,
        coalesce(string_agg(text, ' ') FILTER (WHERE visibility = 'public'), '') AS public_text,
        string_agg(text, ' ') AS all_text
    FROM entries WHERE kind = 'comment' GROUP BY incident_id
) e ON e.incident_id = i.id
WHERE i.number LIKE 'BENCH-%'
"""


async def connect(dsn: str) -> asyncpg.Connection:
    """A connection even on a busy shared server (others' test runs come and go)."""

    async def attempt() -> asyncpg.Connection | None:
        try:
            return await asyncpg.connect(dsn)
        except asyncpg.TooManyConnectionsError:
            return None

    conn: asyncpg.Connection = await wait_until(attempt, timeout=120, interval=1.0)
    return conn


async def seed(dsn: str, count: int) -> float:
    started = time.perf_counter()
    conn = await connect(dsn)
    try:
        # Bulk load: the per-row search triggers are replaced by one set-based UPDATE.
        await conn.execute("ALTER TABLE incidents DISABLE TRIGGER USER")
        await conn.execute("ALTER TABLE entries DISABLE TRIGGER USER")
        await conn.execute(
            SEED_SQL,
            count,
            EN_WORDS,
            RU_WORDS,
            demo_id("user:alice"),
            demo_id("user:carl"),
            demo_id("organization:Acme Manufacturing"),
            demo_id("user:anna"),
        )
        await conn.execute(ENTRIES_SQL, count, demo_id("user:anna"), EN_WORDS, RU_WORDS)
        await conn.execute(VECTORS_SQL)
        await conn.execute("ALTER TABLE incidents ENABLE TRIGGER USER")
        await conn.execute("ALTER TABLE entries ENABLE TRIGGER USER")
        # What autovacuum does after a bulk load: statistics and the visibility map
        # (index-only scans for counts).
        await conn.execute("VACUUM ANALYZE incidents")
        await conn.execute("VACUUM ANALYZE entries")
        await conn.execute("VACUUM ANALYZE incident_search")
    finally:
        await conn.close()
    return time.perf_counter() - started


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(q[49] * 1000, 1),
        "p95_ms": round(q[94] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


SCENARIOS: list[tuple[str, str, dict[str, Any]]] = [
    ("staff list, newest first", "anna", {"limit": 50}),
    ("staff list, status+priority filter", "anna", {"status": "new", "priority": "critical"}),
    ("staff list, overdue by due", "anna", {"overdue": "true", "sort": "due"}),
    ("staff list, deep page", "anna", {"limit": 50, "offset": 5000}),
    ("staff search EN 'printer'", "anna", {"q": "printer"}),
    ("staff search RU 'принтеры'", "anna", {"q": "принтеры"}),
    ("staff search 2 words", "anna", {"q": "invoice timeout"}),
    ("staff search internal text", "anna", {"q": "vendor ticket"}),
    ("client (org scope) list", "carl", {"limit": 50}),
    ("client (org scope) search", "carl", {"q": "printer"}),
    ("client (own scope) search RU", "alice", {"q": "накладные"}),
]


async def measure(base_url: str, requests: int) -> list[dict[str, Any]]:
    rows = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        tokens = {}
        for user in ("anna", "carl", "alice"):
            r = await http.post(
                "/api/v1/auth/token", json={"username": user, "password": DEMO_PASSWORD}
            )
            r.raise_for_status()
            tokens[user] = r.json()["access_token"]
        for name, user, params in SCENARIOS:
            headers = {"authorization": f"Bearer {tokens[user]}"}
            total = None
            for _ in range(5):  # warm caches and connections
                await http.get("/api/v1/incidents", params=params, headers=headers)
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                r = await http.get("/api/v1/incidents", params=params, headers=headers)
                samples.append(time.perf_counter() - started)
                r.raise_for_status()
                body = r.json()
                total = f"{body['total']}{'' if body['total_exact'] else '+'}"
            rows.append({"scenario": name, "matches": total, **percentiles(samples)})
    return rows


async def run(count: int, requests: int, log: IO[str]) -> dict[str, Any]:
    async with demo_desk(log) as (settings, base_url):

        async def categories_known() -> bool:
            conn = await connect(settings.database_url("intake"))
            try:
                return bool(await conn.fetchval("SELECT count(*) >= 8 FROM categories"))
            finally:
                await conn.close()

        await wait_until(categories_known, timeout=60, interval=0.3)
        seconds = await seed(settings.database_url("intake"), count)
        rows = await measure(base_url, requests)
    return {
        "incidents": count,
        "entries": count * 2,
        "requests_per_scenario": requests,
        "seed_seconds": round(seconds, 1),
        "target_p95_ms": TARGET_P95_MS,
        "scenarios": rows,
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"\nIncident list/search through the gateway — {result['incidents']:,} incidents, "
        f"{result['entries']:,} entries, {result['requests_per_scenario']} sequential "
        f"requests per scenario (target p95 < {result['target_p95_ms']:g} ms)\n"
    )
    print(f"{'scenario':40} {'matches':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for row in result["scenarios"]:
        print(
            f"{row['scenario']:40} {row['matches']:>8} {row['p50_ms']:>8} "
            f"{row['p95_ms']:>8} {row['max_ms']:>8}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / "incident_search.log").open("w") as log:
        result = desk_loop.run(run(args.incidents, args.requests, log))
    print_table(result)
    (RESULTS / "incident_search.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
