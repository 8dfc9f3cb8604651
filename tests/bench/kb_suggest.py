"""Suggestion latency through the gateway over 20,000 articles and 100,000 recorded
suggestions.

    python -m tests.bench.kb_suggest [--articles 20000] [--suggestions 100000] [--requests 200]

Starts the desk as processes in a namespace of its own with the demo data, seeds the
knowledge database of that namespace directly with bulk SQL (the benchmark's fixture:
articles in Russian and English bound to the demo categories, a tenth of them internal,
with counters and a history of shown and answered suggestions), then times
`GET /api/v1/kb/suggestions` as clients and as an agent, sequentially — each request also
records its suggestions as shown — and reports p50/p95 (target p95 ≤ 30 ms). Prints a
table and writes bench-results/kb_suggest.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import httpx
from desk_runtime import loop as desk_loop
from desk_runtime.testing import (
    wait_until,
)
from portal_gateway.seed import DEMO_PASSWORD, category_id, demo_id

from .common import demo_desk
from .incident_search import EN_WORDS, RU_WORDS, connect, percentiles

RESULTS = Path("bench-results")
TARGET_P95_MS = 30.0

# A knowledge base of 20,000 articles is not written with 16 words: each title has one of
# the common words and one of 256 specific ones (a model, a module), each body three
# specific ones. Made-up words, stemmed like any other.
EN_SYLLABLES = ("ka", "lo", "mi", "ner", "tos", "vu", "dre", "pha")
RU_SYLLABLES = ("ка", "ло", "ми", "нер", "тос", "ву", "дре", "фа")
EN_SPECIFIC = [a + b + c for a in EN_SYLLABLES for b in EN_SYLLABLES for c in ("x", "n", "l", "t")]
RU_SPECIFIC = [a + b + c for a in RU_SYLLABLES for b in RU_SYLLABLES for c in ("кс", "н", "л", "т")]
# Leaf categories below the demo ones (the demo tree has 8 nodes; a base this size has
# hundreds): nine articles in ten are bound to a leaf, the tenth to a demo node.
LEAVES = 240

ARTICLES_SQL = """
INSERT INTO articles (article_id, version, visibility, status, keywords, locales, updated_at)
SELECT md5('bench-article-' || n)::uuid, 1,
    CASE WHEN n % 10 = 0 THEN 'internal' ELSE 'public' END,
    CASE WHEN n % 20 = 1 THEN 'draft' ELSE 'published' END,
    ARRAY[($2::text[])[1 + n % 256], ($3::text[])[1 + n % 256]],
    CASE WHEN n % 3 = 0 THEN ARRAY['ru'] ELSE ARRAY['en', 'ru'] END,
    now() - (n || ' minutes')::interval
FROM generate_series(1, $1::int) AS n
"""

TEXTS_SQL = """
INSERT INTO article_texts (article_id, locale, title, body, body_html, excerpt, keywords)
SELECT md5('bench-article-' || n)::uuid, l.locale, t.title, t.body, '<p>' || t.body || '</p>',
    t.body, t.keywords
FROM generate_series(1, $1::int) AS n
CROSS JOIN (VALUES ('en'), ('ru')) AS l(locale)
-- Word picks hashed from the article's number: no pattern shared with its binding.
CROSS JOIN LATERAL (
    SELECT 1 + abs(hashtext('c' || n)) % 16 AS c, 1 + abs(hashtext('s' || n)) % 256 AS s,
        1 + abs(hashtext('b1' || n)) % 256 AS b1, 1 + abs(hashtext('b2' || n)) % 256 AS b2,
        1 + abs(hashtext('b3' || n)) % 256 AS b3, 1 + abs(hashtext('k' || n)) % 256 AS k
) AS i
CROSS JOIN LATERAL (
    SELECT
        CASE WHEN l.locale = 'en'
            THEN initcap(($2::text[])[i.c]) || ' ' || ($4::text[])[i.s] || ' does not work #' || n
            ELSE initcap(($3::text[])[i.c]) || ' ' || ($5::text[])[i.s] || ' не работает №' || n
        END AS title,
        CASE WHEN l.locale = 'en'
            THEN 'Check the ' || ($4::text[])[i.b1] || ' and restart the '
                 || ($4::text[])[i.b2] || '. Then try the ' || ($4::text[])[i.b3] || ' again.'
            ELSE 'Проверьте ' || ($5::text[])[i.b1] || ' и перезапустите '
                 || ($5::text[])[i.b2] || '. Затем повторите ' || ($5::text[])[i.b3] || '.'
        END AS body,
        CASE WHEN l.locale = 'en' THEN ($4::text[])[i.k] ELSE ($5::text[])[i.k] END AS keywords
) AS t
WHERE l.locale = 'ru' OR n % 3 <> 0
"""

LEAVES_SQL = """
INSERT INTO categories (category_id, parent_id, path, name)
SELECT md5('bench-leaf-' || k)::uuid, p.category_id, p.path || ('bench-' || k), 'Bench ' || k
FROM generate_series(0, $1::int - 1) AS k
JOIN (SELECT category_id, path, row_number() OVER (ORDER BY path) - 1 AS i FROM categories)
    AS p ON p.i = k % 8
"""

BINDINGS_SQL = """
WITH demo AS (
    SELECT category_id, row_number() OVER (ORDER BY path) - 1 AS i FROM categories
    WHERE NOT path[array_upper(path, 1)] LIKE 'bench-%'
)
INSERT INTO article_categories (article_id, category_id)
SELECT md5('bench-article-' || n)::uuid,
    CASE WHEN n % 10 = 0 THEN (SELECT category_id FROM demo WHERE i = (n / 10) % 8)
         ELSE md5('bench-leaf-' || abs(hashtext('leaf' || n)) % $2)::uuid END
FROM generate_series(1, $1::int) AS n
"""

VERSIONS_SQL = """
INSERT INTO article_versions (article_id, version, snapshot)
SELECT a.article_id, 1, jsonb_build_object(
    'texts', (SELECT jsonb_agg(jsonb_build_object('locale', t.locale, 'title', t.title,
                                                  'body', t.body) ORDER BY t.locale DESC)
              FROM article_texts t WHERE t.article_id = a.article_id),
    'visibility', a.visibility, 'status', a.status,
    'category_ids', (SELECT coalesce(jsonb_agg(c.category_id), '[]'::jsonb)
                     FROM article_categories c WHERE c.article_id = a.article_id),
    'keywords', to_jsonb(a.keywords))
FROM articles a
WHERE NOT EXISTS (SELECT 1 FROM article_versions v WHERE v.article_id = a.article_id)
"""

SUGGESTIONS_SQL = """
INSERT INTO suggestions (suggestion_id, article_id, version, user_id, role, rank, locale,
    category_id, shown_at, helped, answered_at)
SELECT md5('bench-suggestion-' || s)::uuid, md5('bench-article-' || (1 + s % $2))::uuid, 1,
    md5('bench-user-' || s % 700)::uuid, 'client', 1 + s % 5, 'ru',
    c.category_id, now() - (s || ' seconds')::interval,
    CASE WHEN s % 3 = 0 THEN NULL ELSE s % 5 < 3 END,
    CASE WHEN s % 3 = 0 THEN NULL ELSE now() - (s || ' seconds')::interval END
FROM generate_series(1, $1::int) AS s
JOIN article_categories c ON c.article_id = md5('bench-article-' || (1 + s % $2))::uuid
"""

COUNTERS_SQL = """
UPDATE articles s SET shown = x.shown, rated = x.rated, helped = x.helped
FROM (SELECT article_id, count(*) AS shown, count(helped) AS rated,
             count(*) FILTER (WHERE helped) AS helped
      FROM suggestions GROUP BY article_id) x
WHERE x.article_id = s.article_id
"""


async def seed(dsn: str, articles: int, suggestions: int) -> float:
    started = time.perf_counter()
    conn = await connect(dsn)
    try:
        await conn.execute(LEAVES_SQL, LEAVES)
        await conn.execute(ARTICLES_SQL, articles, EN_SPECIFIC, RU_SPECIFIC)
        await conn.execute(TEXTS_SQL, articles, EN_WORDS, RU_WORDS, EN_SPECIFIC, RU_SPECIFIC)
        await conn.execute(BINDINGS_SQL, articles, LEAVES)
        await conn.execute(VERSIONS_SQL)
        await conn.execute(SUGGESTIONS_SQL, suggestions, articles)
        await conn.execute(COUNTERS_SQL)
        for table in ("articles", "article_texts", "article_categories"):
            await conn.execute(f"VACUUM ANALYZE {table}")
        await conn.execute("VACUUM ANALYZE suggestions")
        await conn.execute("VACUUM ANALYZE categories")
    finally:
        await conn.close()
    return time.perf_counter() - started


def leaf(k: int) -> str:
    """The id of bench leaf `k` (below the demo node `k % 8` in path order)."""
    return str(UUID(hashlib.md5(f"bench-leaf-{k}".encode()).hexdigest()))


def scenarios() -> list[tuple[str, str, dict[str, str]]]:
    # Leaf 11 hangs below the fourth demo node in path order: fault/hardware.
    printers = leaf(11)
    hardware = str(category_id(("fault", "hardware")))
    en, ru = EN_SPECIFIC, RU_SPECIFIC
    return [
        ("client EN: leaf + 2 words", "alice", {"category_id": printers, "q": f"printer {en[9]}"}),
        ("client EN: leaf only", "alice", {"category_id": printers}),
        (
            "client EN: demo node + 1 common word",
            "alice",
            {"category_id": hardware, "q": "printer"},
        ),
        ("client RU: text only", "carl", {"q": "принтер не печатает"}),
        (
            "client RU: long description",
            "carl",
            {"q": f"принтер {ru[40]} не печатает {ru[7]} счёт"},
        ),
        ("agent: leaf + 2 words", "anna", {"category_id": printers, "q": f"scanner {en[30]}"}),
    ]


async def measure(base_url: str, requests: int) -> list[dict[str, Any]]:
    rows = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        tokens = {}
        for user in ("alice", "carl", "anna"):
            r = await http.post(
                "/api/v1/auth/token", json={"username": user, "password": DEMO_PASSWORD}
            )
            r.raise_for_status()
            tokens[user] = r.json()["access_token"]
        for name, user, params in scenarios():
            headers = {"authorization": f"Bearer {tokens[user]}"}
            for _ in range(5):  # warm caches and connections
                await http.get("/api/v1/kb/suggestions", params=params, headers=headers)
            samples, found = [], 0
            for _ in range(requests):
                started = time.perf_counter()
                r = await http.get("/api/v1/kb/suggestions", params=params, headers=headers)
                samples.append(time.perf_counter() - started)
                r.raise_for_status()
                found = len(r.json()["items"])
            rows.append({"scenario": name, "suggested": found, **percentiles(samples)})
    return rows


async def run(articles: int, suggestions: int, requests: int, log: IO[str]) -> dict[str, Any]:
    async with demo_desk(log) as (settings, base_url):

        async def demo_seeded() -> bool:
            conn = await connect(settings.database_url("knowledge"))
            try:
                return bool(
                    await conn.fetchval(
                        "SELECT (SELECT count(*) >= 8 FROM categories) "
                        "AND EXISTS (SELECT 1 FROM articles WHERE article_id = $1)",
                        demo_id("article:printer-invoices"),
                    )
                )
            finally:
                await conn.close()

        await wait_until(demo_seeded, timeout=60, interval=0.3)
        seconds = await seed(settings.database_url("knowledge"), articles, suggestions)
        rows = await measure(base_url, requests)
    return {
        "articles": articles,
        "suggestions": suggestions,
        "requests_per_scenario": requests,
        "seed_seconds": round(seconds, 1),
        "target_p95_ms": TARGET_P95_MS,
        "scenarios": rows,
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"\nKnowledge suggestions through the gateway — {result['articles']:,} articles, "
        f"{result['suggestions']:,} recorded suggestions, {result['requests_per_scenario']} "
        f"sequential requests per scenario (target p95 ≤ {result['target_p95_ms']:g} ms)\n"
    )
    print(f"{'scenario':40} {'shown':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for row in result["scenarios"]:
        print(
            f"{row['scenario']:40} {row['suggested']:>6} {row['p50_ms']:>8} "
            f"{row['p95_ms']:>8} {row['max_ms']:>8}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--suggestions", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    with (RESULTS / "kb_suggest.log").open("w") as log:
        result = desk_loop.run(run(args.articles, args.suggestions, args.requests, log))
    print_table(result)
    (RESULTS / "kb_suggest.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
