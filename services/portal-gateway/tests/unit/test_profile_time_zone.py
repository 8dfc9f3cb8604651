"""The profile's time zone: an IANA name or nothing, a bad one refused naming the field
in the reader's language; pages show times in it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast
from uuid import UUID, uuid4

import pytest
from desk_contracts.enums import Locale, Role, Scope
from desk_contracts.envelope import Failure
from desk_contracts.messages import GetPackage, PackageView
from desk_runtime.local_time import local_time, zone_for
from desk_runtime.rpc import RemoteFailure, RpcClient
from portal_gateway.accounts import User
from portal_gateway.domain.profile.schemas import ProfileChange
from portal_gateway.web import zones
from portal_gateway.web.forms import field_errors
from portal_gateway.web.history import entry_line
from portal_gateway.web.i18n import translator


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Unknown time zone"), ("ru", "Неизвестный часовой пояс")],
)
def test_an_unknown_zone_is_refused_naming_the_field(language: str, words: str) -> None:
    errors = field_errors(ProfileChange, {"time_zone": "Mars/Olympus"}, translator(language))
    assert list(errors) == ["time_zone"]
    assert errors["time_zone"].startswith(words)


def test_a_known_zone_or_none_is_taken() -> None:
    assert ProfileChange.model_validate({"time_zone": "Asia/Tokyo"}).time_zone == "Asia/Tokyo"
    assert ProfileChange.model_validate({"time_zone": None}).time_zone is None


def test_history_lines_quote_times_the_way_the_page_does() -> None:
    zone = zone_for("Europe/Moscow")

    def when(value: datetime | None) -> str:
        return local_time(value, zone)

    due = datetime(2026, 12, 3, 9, 0, tzinfo=UTC).isoformat()
    facts = {"line": "deadlines", "contract": "Standard v1", "response": due, "resolution": due}
    line = entry_line("", facts, translator("ru"), when)
    assert "2026-12-03 12:00 MSK (UTC+03:00)" in line


class Sla:
    """Answers GetPackage as sla would: a package in `zone`, or a failure."""

    def __init__(self, zone: str | None = None, failure: int | None = None) -> None:
        self.zone, self.failure, self.asked = zone, failure, 0

    async def ask_as(
        self, query: GetPackage, _: type[PackageView], timeout: float | None = None
    ) -> PackageView:
        self.asked += 1
        if self.failure is not None:
            raise RemoteFailure(Failure(status=self.failure, detail="no"))
        return PackageView(
            organization_id=query.organization_id,
            contract_id=uuid4(),
            contract_name="Standard",
            contract_version=1,
            time_zone=self.zone or "UTC",
            month_start=datetime(2026, 12, 1, tzinfo=UTC),
            renews_at=datetime(2027, 1, 1, tzinfo=UTC),
            channels=(),
        )


def reader(organization_id: UUID | None) -> User:
    return User(
        id=uuid4(),
        username="carl",
        display_name="Carl",
        email=None,
        phone=None,
        locale=Locale.RU,
        role=Role.CLIENT if organization_id else Role.AGENT,
        organization_id=organization_id,
        scope=Scope.ORGANIZATION if organization_id else None,
        active=True,
    )


async def test_a_client_without_a_choice_reads_in_the_organizations_calendar_zone() -> None:
    sla = Sla("Asia/Yekaterinburg")
    client = cast(RpcClient, sla)
    user = reader(uuid4())
    assert await zones.default_zone(client, user, "UTC") == "Asia/Yekaterinburg"
    assert await zones.default_zone(client, user, "UTC") == "Asia/Yekaterinburg"
    assert sla.asked == 1  # kept for a while, not asked on every page


async def test_staff_and_organizations_without_a_contract_read_in_the_desks_zone() -> None:
    assert await zones.default_zone(cast(RpcClient, Sla("Asia/Tokyo")), reader(None), "UTC") == (
        "UTC"
    )
    none = cast(RpcClient, Sla(failure=404))
    assert await zones.default_zone(none, reader(uuid4()), "Europe/Moscow") == "Europe/Moscow"
