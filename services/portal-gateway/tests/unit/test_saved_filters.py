"""Saved filters' rules: what a stored query holds and which names may be saved."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st
from portal_gateway.saved_filters import (
    FILTER_KEYS,
    NAME_CONTROL,
    NAME_EMPTY,
    NAME_TAKEN,
    NAME_TOO_LONG,
    NOTHING_TO_SAVE,
    SAVED_FILTERS_MAX,
    TOO_MANY,
    clean_name,
    normalize_filter_query,
    saved_filter_problem,
)
from portal_gateway.web.i18n import translator

CATEGORY = "6f1c2a8e-0a4b-4c1e-9d0e-3b2a1c0d9e8f"


def test_known_keys_in_a_fixed_order_without_page() -> None:
    pairs = [
        ("page", "3"),
        ("sort", "created"),
        ("overdue", "1"),
        ("priority", "critical"),
        ("status", "new"),
        ("q", "  printer  "),
        ("utm", "x"),
    ]
    assert normalize_filter_query(pairs, staff=True) == (
        "q=printer&status=new&priority=critical&overdue=1&sort=created"
    )


def test_many_statuses_and_priorities_keep_the_enum_order_once() -> None:
    pairs = [("status", "resolved"), ("status", "new"), ("status", "new"), ("priority", "low")]
    pairs += [("priority", "critical"), ("status", "bogus")]
    assert normalize_filter_query(pairs, staff=False) == (
        "status=new&status=resolved&priority=critical&priority=low"
    )


def test_values_the_page_would_ignore_are_dropped() -> None:
    pairs = [
        ("q", "   "),
        ("status", ""),
        ("category", "not-a-uuid"),
        ("assignee", "someone"),
        ("overdue", "yes"),
        ("sort", "-created"),  # the default order
        ("sort", "title"),
    ]
    assert normalize_filter_query(pairs, staff=True) == ""


def test_category_and_assignee_in_canonical_form() -> None:
    agent = "0E4F7A3C-1D2B-4E5F-8A9B-0C1D2E3F4A5B"
    pairs = [("category", CATEGORY.upper()), ("assignee", agent)]
    assert normalize_filter_query(pairs, staff=True) == (
        f"category={CATEGORY}&assignee={agent.lower()}"
    )
    assert normalize_filter_query([("assignee", "me")], staff=True) == "assignee=me"
    assert normalize_filter_query([("assignee", "none")], staff=True) == "assignee=none"


def test_clients_have_no_assignee_filter() -> None:
    assert normalize_filter_query([("assignee", "me"), ("priority", "high")], staff=False) == (
        "priority=high"
    )


def test_single_valued_keys_take_the_first_value_as_the_page_does() -> None:
    pairs = [("q", "first"), ("q", "second"), ("overdue", "0"), ("overdue", "1")]
    assert normalize_filter_query(pairs, staff=False) == "q=first"


def test_search_is_cut_to_what_the_page_reads_and_encoded() -> None:
    query = normalize_filter_query([("q", "a&b=c " + "x" * 600)], staff=False)
    assert dict(parse_qsl(query)) == {"q": ("a&b=c " + "x" * 600)[:500]}


keys = st.sampled_from([*FILTER_KEYS, "page", "other"])
values = st.one_of(
    st.sampled_from(["new", "critical", "1", "created", "me", "none", CATEGORY, ""]), st.text()
)


@given(st.lists(st.tuples(keys, values), max_size=12), st.booleans())
def test_normalizing_is_idempotent_and_keeps_only_filter_keys(
    pairs: list[tuple[str, str]], staff: bool
) -> None:
    query = normalize_filter_query(pairs, staff=staff)
    again = parse_qsl(query, keep_blank_values=True)
    assert normalize_filter_query(again, staff=staff) == query
    assert {k for k, _ in again} <= set(FILTER_KEYS)
    assert all(v for _, v in again)


def test_names_are_trimmed_and_white_space_collapsed() -> None:
    assert clean_name("  Critical \n\t new  ") == "Critical new"
    assert clean_name(" \n ") == ""


def test_a_good_name_with_something_to_save() -> None:
    assert saved_filter_problem("Critical new", "priority=critical", ["Mine"]) is None
    assert saved_filter_problem("x" * 80, "q=a") is None


def test_name_problems() -> None:
    assert saved_filter_problem("", "q=a") == NAME_EMPTY
    assert saved_filter_problem("x" * 81, "q=a") == NAME_TOO_LONG
    assert saved_filter_problem("bell\x07", "q=a") == NAME_CONTROL
    assert saved_filter_problem("critical NEW", "q=a", ["Critical new"]) == NAME_TAKEN


def test_nothing_to_save() -> None:
    assert saved_filter_problem("Everything", "") == NOTHING_TO_SAVE


def test_at_most_fifty_per_user() -> None:
    full = [f"filter {n}" for n in range(SAVED_FILTERS_MAX)]
    assert saved_filter_problem("one more", "q=a", full) == TOO_MANY
    assert saved_filter_problem("one more", "q=a", full[:-1]) is None


def test_every_problem_reads_in_russian() -> None:
    ru = translator("ru")
    for problem in (NAME_EMPTY, NAME_TOO_LONG, NAME_CONTROL, NAME_TAKEN, NOTHING_TO_SAVE):
        assert ru(problem) != problem
    assert ru(TOO_MANY) != TOO_MANY
    assert ru("Filters saved as “{name}”.", name="A") == "Фильтры сохранены как «A»."
