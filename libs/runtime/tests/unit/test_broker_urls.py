"""DESK_AMQP_URL as a list of broker hosts."""

from __future__ import annotations

import pytest
from desk_runtime.broker import with_query
from desk_runtime.deadletters import management_queues_url
from desk_runtime.settings import DeskSettings, broker_urls
from hypothesis import given
from hypothesis import strategies as st

ONE = "amqp://guest:guest@rabbit-0:5672/desk"
TWO = "amqps://guest:guest@rabbit-1.example:5671/desk"


def test_one_url_is_a_list_of_one() -> None:
    assert broker_urls(ONE) == [ONE]
    assert DeskSettings().amqp_urls == ["amqp://guest:guest@127.0.0.1:5672/"]


def test_hosts_are_tried_in_the_order_given() -> None:
    assert broker_urls(f" {ONE} ,{TWO},") == [ONE, TWO]
    settings = DeskSettings(amqp_url=f"{TWO}, {ONE}")
    assert settings.amqp_urls == [TWO, ONE]
    # Stored normalised, so a child process reads back the same list.
    assert settings.amqp_url == f"{TWO},{ONE}"


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("", "at least one"),
        (" , ", "at least one"),
        ("http://rabbit:15672", "'http://rabbit:15672' is not an amqp"),
        (f"{ONE},amqp:///", "'amqp:///' is not an amqp"),
        ("rabbit-0:5672", "'rabbit-0:5672' is not an amqp"),
    ],
)
def test_a_bad_list_is_refused_naming_the_setting(value: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        broker_urls(value)
    with pytest.raises(ValueError, match="amqp_url"):
        DeskSettings(amqp_url=value)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["amqp", "amqps"]),
            st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
            st.integers(1, 65535),
        ),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from([",", ", ", " ,"]),
)
def test_any_list_of_hosts_parses_back_in_order(
    hosts: list[tuple[str, str, int]], separator: str
) -> None:
    urls = [f"{scheme}://u:p@{host}:{port}/v" for scheme, host, port in hosts]
    assert broker_urls(separator.join(urls)) == urls


def test_each_host_carries_the_connection_name() -> None:
    assert with_query([ONE, TWO], name="desk.sla.consumers") == [
        f"{ONE}?name=desk.sla.consumers",
        f"{TWO}?name=desk.sla.consumers",
    ]


def test_the_management_api_is_asked_about_the_lists_virtual_host() -> None:
    assert management_queues_url("http://m:15672/", f"{ONE},{TWO}") == (
        "http://m:15672/api/queues/desk"
    )
