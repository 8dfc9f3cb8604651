"""DESK_POSTGRES_URL_<SERVICE> puts one service on a server of its own."""

from __future__ import annotations

import pytest
from desk_contracts.topology import SERVICES
from desk_runtime.settings import (
    DeskSettings,
    service_postgres_urls,
    service_url_variable,
    with_database,
)
from desk_runtime.testing import environment_for
from hypothesis import given
from hypothesis import strategies as st

SHARED = "postgresql://postgres@127.0.0.1:5432"
OWN = "postgresql://desk:secret@intake-db:5433"


def test_the_variable_is_the_service_name_in_capitals() -> None:
    assert service_url_variable("intake") == "DESK_POSTGRES_URL_INTAKE"
    assert service_url_variable("portal-gateway") == "DESK_POSTGRES_URL_PORTAL_GATEWAY"


def test_only_the_named_service_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_POSTGRES_URL", SHARED)
    monkeypatch.setenv("DESK_POSTGRES_URL_INTAKE", OWN + "/")
    monkeypatch.setenv("DESK_POSTGRES_URL_PORTAL_GATEWAY", "postgresql://gw@gw-db:5432")
    settings = DeskSettings(namespace="demo")
    assert settings.database_url("intake") == f"{OWN}/demo_intake"
    assert settings.maintenance_url_for("intake") == f"{OWN}/postgres"
    assert (
        settings.database_url("portal-gateway") == "postgresql://gw@gw-db:5432/demo_portal_gateway"
    )
    for service in ("sla", "routing", "notify"):
        assert settings.database_url(service) == f"{SHARED}/demo_{service}"
        assert settings.maintenance_url_for(service) == f"{SHARED}/postgres"


def test_a_url_naming_a_database_is_used_as_it_is() -> None:
    settings = DeskSettings(
        namespace="demo",
        postgres_urls={"sla": "postgresql://app:pw@sla-rw:5432/app?sslmode=require"},
    )
    assert settings.database_name("sla") == "app"
    assert settings.database_given("sla")
    assert not settings.database_given("intake")
    assert settings.database_url("sla") == "postgresql://app:pw@sla-rw:5432/app?sslmode=require"
    assert (
        settings.maintenance_url_for("sla")
        == "postgresql://app:pw@sla-rw:5432/postgres?sslmode=require"
    )
    # The shared URL never names a database for everyone.
    shared = DeskSettings(namespace="demo", postgres_url=f"{SHARED}/somewhere")
    assert shared.database_url("sla") == f"{SHARED}/demo_sla"


def test_a_misspelt_service_is_refused_by_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_POSTGRES_URL_INTAKEE", OWN)
    with pytest.raises(ValueError, match="DESK_POSTGRES_URL_INTAKEE: no such service"):
        DeskSettings()


def test_a_child_process_gets_the_same_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = DeskSettings(namespace="demo", postgres_urls={"routing": OWN})
    env = environment_for(settings)
    assert env["DESK_POSTGRES_URL_ROUTING"] == OWN
    assert "DESK_POSTGRES_URLS" not in env
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert DeskSettings().database_url("routing") == f"{OWN}/demo_routing"


@given(
    st.dictionaries(
        st.sampled_from(SERVICES), st.from_regex(r"postgresql://[a-z]{1,8}:\d{4}", fullmatch=True)
    ),
    st.dictionaries(st.from_regex(r"DESK_[A-Z_]{1,12}", fullmatch=True), st.text(max_size=5)),
)
def test_environment_names_map_back_to_services(
    urls: dict[str, str], unrelated: dict[str, str]
) -> None:
    environ = {k: v for k, v in unrelated.items() if not k.startswith("DESK_POSTGRES_URL_")}
    environ.update({service_url_variable(s): url for s, url in urls.items()})
    assert service_postgres_urls(environ) == urls


@given(st.from_regex(r"[a-z_]{1,12}", fullmatch=True))
def test_with_database_replaces_only_the_path(database: str) -> None:
    assert with_database(f"{OWN}/other?sslmode=verify-full", database) == (
        f"{OWN}/{database}?sslmode=verify-full"
    )
