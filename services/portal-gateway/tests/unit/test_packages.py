"""The packages area of the gateway: the claim before filing (a refusal is a 409
naming the channel, the quota and when it renews, in en and ru), the request id a
filing and its claim share, the package as shown, and the channel statistics."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from desk_contracts.enums import Channel, QuotaPolicy, Role
from desk_contracts.messages import (
    CategoryList,
    CategoryView,
    ChannelPackageView,
    ChannelReport,
    ChannelReportRow,
    ChannelReportView,
    ClaimQuota,
    GetPackage,
    ListCategories,
    PackageView,
    Principal,
    QuotaClaim,
)
from portal_gateway.domain.packages.reports import channel_statistics, statistics_csv
from portal_gateway.domain.packages.service import (
    CHANNEL_NAMES,
    QuotaRefused,
    category_path_of,
    claim_before_filing,
    filing_request_id,
    hours_words,
    package_out,
)
from portal_gateway.domain.packages.words import RU
from portal_gateway.web.i18n import translator

ORGANIZATION = uuid4()
RENEWS = datetime(2026, 12, 31, 21, 0, tzinfo=UTC)  # 1 January in Moscow


def english(text: str, **values: object) -> str:
    return text.format(**values) if values else text


def russian(text: str, **values: object) -> str:
    phrase = RU[text]  # a missing word fails the test
    return phrase.format(**values) if values else phrase


def answer(granted: bool, **fields: Any) -> QuotaClaim:
    values: dict[str, Any] = {
        "request_id": uuid4(),
        "granted": granted,
        "outcome": "accepted" if granted else "refused",
        "channel": Channel.EMAIL,
        "category_path": (),
        "included": True,
        "per_month": 15,
        "used": 15,
        "policy": QuotaPolicy.REFUSE,
        "month_start": datetime(2026, 11, 30, 21, 0, tzinfo=UTC),
        "renews_at": RENEWS,
        "contract_name": "Standard",
    }
    values.update(fields)
    return QuotaClaim(**values)


def package(**channel: Any) -> PackageView:
    values: dict[str, Any] = {
        "channel": Channel.EMAIL,
        "category_path": (),
        "included": True,
        "calendar_id": None,
        "calendar_name": "Office",
        "always_open": False,
        "hours": "Mon-Fri 09:00-18:00",
        "per_month": 15,
        "used": 15,
        "left": 0,
        "policy": QuotaPolicy.REFUSE,
    }
    values.update(channel)
    return PackageView(
        organization_id=ORGANIZATION,
        contract_id=uuid4(),
        contract_name="Standard",
        contract_version=1,
        time_zone="Europe/Moscow",
        month_start=datetime(2026, 11, 30, 21, 0, tzinfo=UTC),
        renews_at=RENEWS,
        channels=(ChannelPackageView(**values),),
    )


class FakeRpc:
    """Answers the claim as told and the package for the renewal's zone."""

    def __init__(self, claim: QuotaClaim) -> None:
        self.claim = claim
        self.asked: list[Any] = []

    async def ask_as(self, query: Any, _type: Any = None) -> Any:
        self.asked.append(query)
        if isinstance(query, ClaimQuota):
            return self.claim
        assert isinstance(query, GetPackage)
        return package()


async def file(rpc: FakeRpc, t: Any = english) -> QuotaClaim:
    return await claim_before_filing(
        rpc,  # type: ignore[arg-type]
        request_id=UUID(int=7),
        organization_id=ORGANIZATION,
        channel=Channel.EMAIL,
        category_path=("consultation",),
        t=t,
    )


async def test_a_granted_claim_lets_the_filing_go_on() -> None:
    rpc = FakeRpc(answer(True, used=3))
    claim = await file(rpc)
    assert claim.granted
    (asked,) = rpc.asked
    assert asked.request_id == UUID(int=7)
    assert asked.category_path == ("consultation",)


async def test_a_refusal_is_a_409_naming_the_channel_the_quota_and_the_renewal() -> None:
    with pytest.raises(QuotaRefused) as raised:
        await file(FakeRpc(answer(False)))
    assert raised.value.status_code == 409
    assert raised.value.detail == (
        "The e-mail quota of 15 requests a month is used up (15 of 15); it renews on 2027-01-01."
    )
    assert raised.value.extra == [{"key": "channel", "message": raised.value.detail}]


async def test_the_refusal_reads_in_russian() -> None:
    with pytest.raises(QuotaRefused) as raised:
        await file(FakeRpc(answer(False)), russian)
    assert "«электронная почта»" in raised.value.detail
    assert "15 из 15" in raised.value.detail
    assert "2027-01-01" in raised.value.detail


async def test_a_channel_not_included_is_refused_as_such() -> None:
    with pytest.raises(QuotaRefused) as raised:
        await file(FakeRpc(answer(False, included=False, per_month=0, used=0)), russian)
    assert raised.value.detail == "Канал «электронная почта» не входит в ваш пакет."


def test_a_retried_filing_claims_under_the_same_request_id() -> None:
    user, key = uuid4(), uuid4()
    assert filing_request_id(user, key) == filing_request_id(user, key)
    assert filing_request_id(uuid4(), key) != filing_request_id(user, key)
    assert filing_request_id(user, None) != filing_request_id(user, None)


@pytest.mark.parametrize("t", [english, russian])
def test_the_package_says_used_of_quota_and_the_renewal_day(t: Any) -> None:
    shown = package_out(package(), t)
    (email,) = shown.channels
    assert shown.renews_on == "2027-01-01"
    assert email.left == 0
    expected = {
        english: "15 of 15 used, renews on 2027-01-01",
        russian: "использовано 15 из 15, обновится 2027-01-01",
    }
    assert email.summary == expected[t]


def test_unlimited_and_excluded_channels_say_so_in_both_languages() -> None:
    unlimited = package_out(package(per_month=None, left=None, used=4), russian).channels[0]
    assert unlimited.summary == "без ограничений; в этом месяце: 4"
    excluded = package_out(package(included=False, per_month=0), english).channels[0]
    assert excluded.summary == "not included"
    always = package_out(package(always_open=True), russian).channels[0]
    assert always.hours == "круглосуточно"


def test_every_channel_has_a_russian_name() -> None:
    assert set(CHANNEL_NAMES) == set(Channel)
    assert all(name in RU for name in CHANNEL_NAMES.values())


# --- the channel statistics --------------------------------------------------------------


class ReportRpc:
    def __init__(self, view: ChannelReportView) -> None:
        self.view = view

    async def ask_as(self, query: Any, _type: Any = None) -> Any:
        assert isinstance(query, ChannelReport)
        return self.view


class Pool:
    def __init__(self, names: dict[UUID, str]) -> None:
        self.names = names

    async def fetch(self, _sql: str, ids: list[UUID]) -> list[dict[str, Any]]:
        return [{"id": i, "name": self.names[i]} for i in ids if i in self.names]


def report_row(segment: str, channel: Channel, requests: int, share: float) -> ChannelReportRow:
    return ChannelReportRow(
        channel=channel,
        segment=segment,
        requests=requests,
        share=share,
        over_quota=1,
        response_median_seconds=90.0,
        resolution_median_seconds=None,
        breach_rate=0.25,
    )


def ru_with_the_portal(text: str, **values: object) -> str:
    """The packages' words over the portal's own (as the portal merges them)."""
    phrase = RU.get(text) or translator("ru")(text)
    return phrase.format(**values) if values else phrase


async def test_the_channel_statistics_name_the_organizations_and_speak_russian() -> None:
    acme = uuid4()
    view = ChannelReportView(
        segment_by="organization",
        since=None,
        until=None,
        rows=(
            report_row(str(acme), Channel.EMAIL, 3, 0.75),
            report_row(str(acme), Channel.PHONE, 1, 0.25),
            report_row("not-an-id", Channel.CHAT, 1, 1.0),
        ),
    )
    report = await channel_statistics(
        ReportRpc(view),  # type: ignore[arg-type]
        Pool({acme: "Acme"}),  # type: ignore[arg-type]
        ru_with_the_portal,
        since=None,
        until=None,
        segment_by="organization",
    )
    assert [(r.segment_name, r.channel_name) for r in report.rows] == [
        ("Acme", "электронная почта"),
        ("Acme", "телефон"),
        ("not-an-id", "чат"),
    ]
    lines = statistics_csv(report, ru_with_the_portal).splitlines()
    assert lines[0] == (
        "Группа клиентов,Канал,Обращения,Доля,Сверх лимита,"
        '"Первый ответ, медиана, мин","Решение, медиана, мин",Доля нарушений,'
        'Жалобы,"Удовлетворённость, среднее из 5",Оценки'
    )
    assert lines[1] == "Acme,электронная почта,3,0.7500,1,1.5,,0.2500,0,,0"
    english_lines = statistics_csv(report, english).splitlines()
    assert english_lines[0].startswith("Client group,Channel,Requests,Share,Over quota")


async def test_by_package_every_client_is_one_group() -> None:
    view = ChannelReportView(
        segment_by="none", since=None, until=None, rows=(report_row("all", Channel.API, 2, 1.0),)
    )
    report = await channel_statistics(
        ReportRpc(view),  # type: ignore[arg-type]
        Pool({}),  # type: ignore[arg-type]
        russian,
        since=None,
        until=None,
        segment_by="none",
    )
    assert report.rows[0].segment_name == "все клиенты"


async def test_the_claim_names_the_category_path_of_the_filing() -> None:
    wanted = uuid4()

    class Categories:
        async def ask_as(self, query: Any, _type: Any = None) -> Any:
            assert isinstance(query, ListCategories)
            return CategoryList(
                items=tuple(
                    CategoryView(
                        category_id=i,
                        parent_id=None,
                        code=path[-1],
                        path=path,
                        name=path[-1],
                        colour="#000000",
                        escalation_contact_id=None,
                    )
                    for i, path in ((uuid4(), ("fault",)), (wanted, ("consultation", "billing")))
                )
            )

    principal = Principal(user_id=uuid4(), role=Role.CLIENT, organization_id=ORGANIZATION)
    rpc: Any = Categories()
    assert await category_path_of(rpc, principal, wanted) == ("consultation", "billing")
    assert await category_path_of(rpc, principal, uuid4()) == ()


TEMPLATES = Path(__file__).parents[2] / "src" / "portal_gateway" / "templates" / "web"


@pytest.mark.parametrize(
    "template", ["_package.html", "channel_report.html", "record_incident.html"]
)
def test_every_phrase_of_the_package_pages_is_in_russian(template: str) -> None:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    phrases = set(re.findall(r't\("([^"]+)"', text)) | set(re.findall(r'": "([^"]+)"', text))
    assert phrases
    russian = translator("ru")
    missing = [p for p in phrases if russian(p) == p and p not in ("API",)]
    assert missing == []


def test_a_channels_hours_read_in_the_readers_words() -> None:
    assert hours_words("1-5 09:00-18:00; 6 10:00-14:00", english) == (
        "Mon-Fri 09:00-18:00; Sat 10:00-14:00"
    )
    assert hours_words("1-5 09:00-13:00,14:00-18:00", ru_with_the_portal) == (
        "Пн-Пт 09:00-13:00, 14:00-18:00"
    )
    assert hours_words("24/7", ru_with_the_portal) == "круглосуточно"
    assert hours_words("", english) == "no opening hours"
