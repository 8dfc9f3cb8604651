"""Pure helpers of the web portal: words, sizes, the category tree, links, languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from desk_contracts.enums import Status
from hypothesis import given
from hypothesis import strategies as st
from portal_gateway.web.i18n import pick_language, translator
from portal_gateway.web.views import (
    CategoryInfo,
    CountRow,
    category_tree,
    duration_words,
    human_size,
    is_overdue,
    query_string,
    safe_next,
)


def test_duration_words_in_both_languages() -> None:
    assert duration_words(5 * 60, "en") == "5 min"
    assert duration_words(-(3 * 3600 + 20 * 60), "en") == "3 h 20 min"
    assert duration_words(2 * 86400 + 3 * 3600, "ru") == "2 д 3 ч"


def test_overdue_only_for_open_incidents_past_due() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    past = now - timedelta(minutes=1)
    assert is_overdue(past, Status.IN_PROGRESS, now)
    assert not is_overdue(past, Status.RESOLVED, now)
    assert not is_overdue(now + timedelta(minutes=1), Status.NEW, now)
    assert not is_overdue(None, Status.NEW, now)


def test_human_size() -> None:
    assert human_size(67) == "67 B"
    assert human_size(2048) == "2.0 KB"
    assert human_size(5 * 1024 * 1024) == "5.0 MB"


def test_tree_counts_open_incidents_of_each_subtree_by_priority() -> None:
    categories = [
        CategoryInfo("b", ("fault", "software"), "Software", "#e00"),
        CategoryInfo("a", ("fault",), "Fault", "#d00"),
        CategoryInfo("c", ("order",), "Order", "#00d"),
    ]
    counts = [
        CountRow(("fault", "software"), "high", "in_progress", 2),
        CountRow(("fault", "software", "unknown"), "high", "new", 1),
        CountRow(("fault",), "low", "assigned", 4),
        CountRow(("fault",), "low", "closed", 9),
    ]
    tree = category_tree(categories, counts)
    assert [node.path for node in tree] == [("fault",), ("fault", "software"), ("order",)]
    fault, software, order = tree
    assert fault.counts == {"high": 3, "low": 4}
    assert software.counts == {"high": 3}
    assert software.depth == 1
    assert order.total == 0


def test_query_string_keeps_filters_and_changes_one() -> None:
    filters = {"q": "printer", "status": ["new", "assigned"], "category": None, "page": "2"}
    assert parse_qsl(query_string(filters, page=3)[1:]) == [
        ("q", "printer"),
        ("status", "new"),
        ("status", "assigned"),
        ("page", "3"),
    ]
    assert query_string({"page": "2"}, page=None) == "?"


@given(st.text(max_size=50))
def test_safe_next_never_leaves_the_site(target: str) -> None:
    result = safe_next(target)
    assert result.startswith("/")
    assert not result.startswith("//")


def test_safe_next_keeps_local_paths() -> None:
    assert safe_next("/incidents?q=a") == "/incidents?q=a"
    assert safe_next("https://evil.example/") == "/incidents"
    assert safe_next("/\\evil.example") == "/incidents"


def test_language_choice_and_translation() -> None:
    assert pick_language("ru", "en", "en-US") == "ru"
    assert pick_language(None, "en", "ru-RU") == "en"
    assert pick_language(None, None, "de-DE,ru;q=0.8") == "ru"
    assert pick_language("xx", None, None) == "en"
    assert translator("ru")("Page {page} of {pages}", page=1, pages=3) == "Страница 1 из 3"
    assert translator("en")("waiting_on_client") == "waiting on client"
    assert translator("ru")("an unknown phrase") == "an unknown phrase"
