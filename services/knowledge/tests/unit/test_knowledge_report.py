"""The report's arithmetic per category: requests, FCR, deflections, gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from knowledge.domain import fcr
from knowledge.domain import report as figures

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_requests_fcr_deflections_and_helpful_articles_per_category() -> None:
    root, printers, network = uuid4(), uuid4(), uuid4()
    parents = {root: None, printers: root, network: root}
    first, second, open_one = uuid4(), uuid4(), uuid4()
    activity = {
        first: [fcr.Activity(T0, fcr.STAFF_REPLY), fcr.Activity(T0, fcr.RESOLVED)],
        second: [
            fcr.Activity(T0, fcr.STAFF_REPLY),
            fcr.Activity(T0 + timedelta(minutes=1), fcr.CLIENT_REPLY),
            fcr.Activity(T0 + timedelta(minutes=2), fcr.RESOLVED),
        ],
    }
    client = uuid4()
    day = date(2026, 3, 2)
    article = uuid4()
    rows = figures.by_category(
        [(first, printers), (second, printers), (open_one, network)],
        activity,
        # One client's two helped suggestions on one day are one deflected request.
        [(printers, client, day), (printers, client, day), (None, client, day)],
        parents,
        [(root, article)],
    )
    by_id = {row.category_id: row for row in rows}
    assert [row.category_id for row in rows] == [printers, network]
    assert by_id[printers].requests == 2
    assert by_id[printers].resolved == 2
    assert by_id[printers].first_contact == 1
    assert by_id[printers].fcr_rate == 0.5
    assert by_id[printers].deflections == 1
    assert by_id[printers].deflected_share == 1 / 3
    # Bound to the root: it helps in every category below it.
    assert by_id[printers].helpful_articles == 1
    assert by_id[network].resolved == 0
    assert by_id[network].fcr_rate is None


def test_gaps_are_busy_categories_without_a_helpful_article() -> None:
    busy, quiet, covered = uuid4(), uuid4(), uuid4()
    incidents = (
        [(uuid4(), busy) for _ in range(6)]
        + [(uuid4(), quiet) for _ in range(2)]
        + [(uuid4(), covered) for _ in range(9)]
    )
    rows = figures.by_category(incidents, {}, [], {}, [(covered, uuid4())])
    assert [row.category_id for row in figures.gaps(rows, 5)] == [busy]


def test_ancestors_stop_at_a_cycle() -> None:
    a, b = uuid4(), uuid4()
    assert figures.ancestors(a, {a: b, b: a}) == [a, b]
    assert figures.share(1, 0) is None
