"""Package quotas against the real PostgreSQL and RabbitMQ: claims racing for the last
unit, registrations counted once however delivered, a claim consumed by the
registration it precedes, a reclassification moving the count, the sweep giving back
unconsumed claims, the package as read, and the ratings reported per channel and
package."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import pytest
import pytest_asyncio
from desk_contracts import utc_now
from desk_contracts.enums import Channel, Priority, QuotaPolicy
from desk_contracts.messages import (
    CalendarSpec,
    ChannelReport,
    ChannelReportView,
    ChannelTermsSpec,
    ClaimQuota,
    ContractSpec,
    GetIncidentSla,
    GetPackage,
    IncidentRated,
    IncidentReclassified,
    IncidentRegistered,
    IncidentSla,
    ListLowRatings,
    LowRatings,
    OrganizationUpserted,
    PackageView,
    QuotaClaim,
    SaveCalendar,
    SaveContract,
    SlaReport,
    SlaReportView,
    TargetSpec,
)
from desk_contracts.topology import EVENTS_EXCHANGE, exchange_name
from desk_runtime.rpc import RemoteFailure, RpcClient
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import publish, send, started, wait_until
from sla import quotas
from sla.app import build

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def sla(desk_settings: DeskSettings) -> AsyncIterator[Service]:
    service = build(desk_settings)
    async with started(service):
        yield service


@pytest_asyncio.fixture
async def rpc(sla: Service, desk_settings: DeskSettings) -> AsyncIterator[RpcClient]:
    connection = await aio_pika.connect_robust(desk_settings.amqp_url)
    client = RpcClient(desk_settings.amqp_url, desk_settings.namespace, "tests", 10)
    await client.connect(connection)
    try:
        yield client
    finally:
        await client.close()
        await connection.close()


async def package_contract(
    rpc: RpcClient, *terms: ChannelTermsSpec, name: str = "Standard"
) -> UUID:
    calendar = await rpc.ask(
        SaveCalendar(calendar=CalendarSpec(name="Always", time_zone="UTC", always_open=True))
    )
    contract = await rpc.ask(
        SaveContract(
            contract=ContractSpec(
                name=name,
                calendar_id=calendar.calendar_id,
                targets=(TargetSpec(response_seconds=3600, resolution_seconds=7200),),
                channels=terms,
            )
        )
    )
    return contract.contract_id  # type: ignore[attr-defined, no-any-return]


async def organization_on(settings: DeskSettings, service: Service, contract_id: UUID) -> UUID:
    organization_id = uuid4()
    await send(
        settings,
        OrganizationUpserted(organization_id=organization_id, name="Acme", contract_id=contract_id),
    )

    async def mapped() -> bool:
        found = await service.pool.fetchval(
            "SELECT contract_id FROM organization_contracts WHERE organization_id = $1",
            organization_id,
        )
        return bool(found == contract_id)

    await wait_until(mapped, timeout=10)
    return organization_id


def registered(
    organization_id: UUID,
    channel: Channel = Channel.EMAIL,
    *,
    request_id: UUID | None = None,
    path: tuple[str, ...] = ("fault",),
    at: datetime | None = None,
) -> IncidentRegistered:
    return IncidentRegistered(
        incident_id=uuid4(),
        number="INC-000001",
        title="Question",
        category_id=uuid4(),
        category_path=path,
        priority=Priority.NORMAL,
        channel=channel,
        requester_id=uuid4(),
        organization_id=organization_id,
        registered_at=at or utc_now(),
        request_id=request_id,
    )


async def used(service: Service, organization_id: UUID, channel: str, scope: str = "") -> int:
    value = await service.pool.fetchval(
        "SELECT coalesce(sum(used), 0) FROM quota_counts"
        " WHERE organization_id = $1 AND channel = $2 AND scope = $3",
        organization_id,
        channel,
        scope,
    )
    return int(value)


async def counted(service: Service, incident_id: UUID) -> Any:
    return await wait_until(
        lambda: service.pool.fetchrow(
            "SELECT * FROM quota_uses WHERE incident_id = $1", incident_id
        )
    )


async def claim(rpc: RpcClient, organization_id: UUID, **fields: Any) -> QuotaClaim:
    return await rpc.ask_as(
        ClaimQuota(
            request_id=fields.pop("request_id", uuid4()),
            organization_id=organization_id,
            channel=fields.pop("channel", Channel.EMAIL),
            **fields,
        ),
        QuotaClaim,
    )


REFUSE_ONE = ChannelTermsSpec(channel=Channel.EMAIL, per_month=1, policy=QuotaPolicy.REFUSE)


async def test_two_claims_racing_for_the_last_unit_get_exactly_one_grant(
    sla: Service, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    contract_id = await package_contract(rpc, REFUSE_ONE)
    organization_id = await organization_on(desk_settings, sla, contract_id)
    answers = await asyncio.gather(claim(rpc, organization_id), claim(rpc, organization_id))
    assert sorted(a.granted for a in answers) == [False, True]
    refused = next(a for a in answers if not a.granted)
    assert refused.outcome == "refused"
    assert refused.per_month == 1
    assert refused.used == 1
    assert refused.renews_at > utc_now()
    assert await used(sla, organization_id, "email") == 1


async def test_many_claims_in_parallel_transactions_never_exceed_the_quota(
    sla: Service, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    terms = ChannelTermsSpec(channel=Channel.CHAT, per_month=3, policy=QuotaPolicy.REFUSE)
    contract_id = await package_contract(rpc, terms)
    organization_id = await organization_on(desk_settings, sla, contract_id)

    async def one() -> QuotaClaim:
        async with sla.transaction() as uow:
            return await quotas.claim(
                uow,
                ClaimQuota(request_id=uuid4(), organization_id=organization_id, channel="chat"),
            )

    answers = await asyncio.gather(*(one() for _ in range(8)))
    assert sum(a.granted for a in answers) == 3
    assert await used(sla, organization_id, "chat") == 3


async def test_a_repeated_claim_gets_the_same_answer_and_holds_one_unit(
    sla: Service, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    contract_id = await package_contract(rpc, REFUSE_ONE)
    organization_id = await organization_on(desk_settings, sla, contract_id)
    request_id = uuid4()
    first = await claim(rpc, organization_id, request_id=request_id)
    again = await claim(rpc, organization_id, request_id=request_id)
    assert first.granted
    assert again == first
    assert await used(sla, organization_id, "email") == 1


async def test_the_registration_consumes_its_claim_and_redelivery_counts_once(
    sla: Service, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    contract_id = await package_contract(rpc, REFUSE_ONE)
    organization_id = await organization_on(desk_settings, sla, contract_id)
    request_id = uuid4()
    assert (await claim(rpc, organization_id, request_id=request_id)).granted
    event = registered(organization_id, request_id=request_id)
    envelope = await send(desk_settings, event)
    await counted(sla, event.incident_id)
    await publish(desk_settings, envelope)  # the same delivery again
    await send(desk_settings, event)  # the same registration announced anew
    # A later registration of another incident is what the first ones were followed by.
    other = registered(organization_id, Channel.PORTAL)
    await send(desk_settings, other)
    await counted(sla, other.incident_id)
    assert await used(sla, organization_id, "email") == 1
    consumed = await sla.pool.fetchval(
        "SELECT consumed_by FROM quota_claims WHERE request_id = $1", request_id
    )
    assert consumed == event.incident_id
    row = await counted(sla, event.incident_id)
    assert row["over_quota"] is False
    # The unit is taken: the next claim is refused.
    assert not (await claim(rpc, organization_id)).granted


async def test_a_registration_over_an_accept_quota_is_marked_over_quota(
    sla: Service, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    terms = ChannelTermsSpec(channel=Channel.EMAIL, per_month=1, policy=QuotaPolicy.ACCEPT)
    contract_id = await package_contract(rpc, terms)
    organization_id = await organization_on(desk_settings, sla, contract_id)
    first, second = registered(organization_id), registered(organization_id)
    await send(desk_settings, first)
    assert (await counted(sla, first.incident_id))["over_quota"] is False
    await send(desk_settings, second)
    assert (await counted(sla, second.incident_id))["over_quota"] is True
    assert await used(sla, organization_id, "email") == 2
    answer = await claim(rpc, organization_id)
    assert answer.granted
    assert answer.outcome == "over_quota"


async def test_a_reclassified_channel_or_category_moves_the_count(
    sla: Service, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    contract_id = await package_contract(
        rpc,
        ChannelTermsSpec(channel=Channel.EMAIL, per_month=5),
        ChannelTermsSpec(channel=Channel.EMAIL, category_path=("consultation",), per_month=2),
    )
    organization_id = await organization_on(desk_settings, sla, contract_id)
    event = registered(organization_id)
    await send(desk_settings, event)
    await counted(sla, event.incident_id)
    assert await used(sla, organization_id, "email") == 1

    def change(**fields: Any) -> IncidentReclassified:
        return IncidentReclassified(
            incident_id=event.incident_id,
            category_id=uuid4(),
            priority=Priority.NORMAL,
            changed_at=utc_now(),
            **fields,
        )

    await send(desk_settings, change(category_path=("consultation", "billing")))
    await wait_until(lambda: used(sla, organization_id, "email", "consultation"))
    assert await used(sla, organization_id, "email") == 0
    await send(desk_settings, change(category_path=("consultation",), channel=Channel.PHONE))
    await wait_until(lambda: used(sla, organization_id, "phone"))
    assert await used(sla, organization_id, "email", "consultation") == 0
    assert (await counted(sla, event.incident_id))["channel"] == "phone"


async def test_an_unconsumed_claim_is_released_by_the_sweep(
    sla: Service, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    contract_id = await package_contract(rpc, REFUSE_ONE)
    organization_id = await organization_on(desk_settings, sla, contract_id)
    request_id = uuid4()
    assert (await claim(rpc, organization_id, request_id=request_id)).granted
    assert not (await claim(rpc, organization_id)).granted
    await sla.pool.execute(
        "UPDATE quota_claims SET claimed_at = now() - interval '1 hour' WHERE request_id = $1",
        request_id,
    )
    async with sla.transaction() as uow:
        assert await quotas.release_stale_claims(uow.conn) == 1
    assert await used(sla, organization_id, "email") == 0
    assert (await claim(rpc, organization_id)).granted


async def test_the_package_shows_channels_hours_and_quota_left(
    sla: Service, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    phone_hours = await rpc.ask(
        SaveCalendar(
            calendar=CalendarSpec(
                name="Phone 9-18",
                time_zone="Europe/Moscow",
                weekly_hours={day: (("09:00", "18:00"),) for day in range(5)},
            )
        )
    )
    contract_id = await package_contract(
        rpc,
        ChannelTermsSpec(channel=Channel.EMAIL, per_month=15, policy=QuotaPolicy.REFUSE),
        ChannelTermsSpec(channel=Channel.PHONE, calendar_id=phone_hours.calendar_id),
        ChannelTermsSpec(channel=Channel.ONSITE, included=False),
    )
    organization_id = await organization_on(desk_settings, sla, contract_id)
    event = registered(organization_id)
    await send(desk_settings, event)
    await counted(sla, event.incident_id)
    view = await rpc.ask_as(GetPackage(organization_id=organization_id), PackageView)
    by_channel = {c.channel: c for c in view.channels}
    assert set(by_channel) == set(Channel)
    assert (by_channel[Channel.EMAIL].used, by_channel[Channel.EMAIL].left) == (1, 14)
    assert by_channel[Channel.PHONE].calendar_name == "Phone 9-18"
    assert by_channel[Channel.PHONE].per_month is None
    assert not by_channel[Channel.ONSITE].included
    assert by_channel[Channel.ONSITE].left == 0
    assert view.renews_at > utc_now() >= view.month_start


async def test_package_terms_naming_an_unknown_calendar_are_refused_naming_the_field(
    sla: Service, rpc: RpcClient
) -> None:
    with pytest.raises(RemoteFailure) as raised:
        await package_contract(rpc, ChannelTermsSpec(channel=Channel.PHONE, calendar_id=uuid4()))
    assert raised.value.failure.status == 422
    assert raised.value.failure.errors[0].field == "contract.channels.0.calendar_id"


async def test_a_phone_request_outside_the_phone_hours_starts_its_clock_at_the_opening(
    sla: Service, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    phone_hours = await rpc.ask(
        SaveCalendar(
            calendar=CalendarSpec(
                name="Phone 9-18",
                time_zone="UTC",
                weekly_hours={day: (("09:00", "18:00"),) for day in range(5)},
            )
        )
    )
    contract_id = await package_contract(
        rpc, ChannelTermsSpec(channel=Channel.PHONE, calendar_id=phone_hours.calendar_id)
    )
    organization_id = await organization_on(desk_settings, sla, contract_id)
    # Wednesday 2 Dec 2026, 20:00 UTC: the phone line opens at 09:00 on Thursday.
    event = registered(organization_id, Channel.PHONE, at=datetime(2026, 12, 2, 20, 0, tzinfo=UTC))
    await send(desk_settings, event)
    await counted(sla, event.incident_id)
    view = await wait_until(
        lambda: rpc.ask_as(GetIncidentSla(incident_id=event.incident_id), IncidentSla)
    )
    assert view.clock_starts_at == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert view.channel is Channel.PHONE
    assert view.over_quota is False
    # The 24/7 contract calendar counts the hour of response from the opening.
    assert view.response_due == datetime.combine(
        datetime(2026, 12, 3).date(), time(10, 0), tzinfo=UTC
    )


async def test_the_channel_report_shows_the_requests_by_package(
    sla: Service, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    standard = await package_contract(
        rpc, ChannelTermsSpec(channel=Channel.EMAIL, per_month=2), name="Standard"
    )
    premium = await package_contract(rpc, name="Premium 24/7")
    first = await organization_on(desk_settings, sla, standard)
    second = await organization_on(desk_settings, sla, premium)
    events = [
        registered(first, Channel.EMAIL),
        registered(first, Channel.EMAIL),
        registered(first, Channel.EMAIL),
        registered(first, Channel.PHONE),
        registered(second, Channel.PHONE),
    ]
    for event in events:
        await send(desk_settings, event)
    for event in events:
        await counted(sla, event.incident_id)
    report = await rpc.ask_as(ChannelReport(segment_by="package"), ChannelReportView)
    rows = {(row.segment, row.channel): row for row in report.rows}
    assert set(rows) == {
        ("Standard", Channel.EMAIL),
        ("Standard", Channel.PHONE),
        ("Premium 24/7", Channel.PHONE),
    }
    email = rows[("Standard", Channel.EMAIL)]
    assert (email.requests, email.share, email.over_quota) == (3, 0.75, 1)
    assert rows[("Standard", Channel.PHONE)].share == 0.25
    assert rows[("Premium 24/7", Channel.PHONE)].share == 1.0
    assert email.breach_rate == 0.0
    assert email.response_median_seconds is None
    by_organization = await rpc.ask_as(ChannelReport(segment_by="organization"), ChannelReportView)
    assert {row.segment for row in by_organization.rows} == {str(first), str(second)}
    with pytest.raises(RemoteFailure) as raised:
        await rpc.ask(ChannelReport(since=utc_now(), until=utc_now().replace(year=2000)))
    assert raised.value.failure.errors[0].field == "until"


async def test_a_warn_quota_used_up_is_told_once_a_month(
    sla: Service, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    told: list[dict[str, Any]] = []
    connection = await aio_pika.connect(desk_settings.amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(
            exchange_name(desk_settings.namespace, EVENTS_EXCHANGE),
            routing_key="sla.quota_used_up",
        )

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            told.append(json.loads(message.body))

        await queue.consume(on_message, no_ack=True)
        terms = ChannelTermsSpec(channel=Channel.EMAIL, per_month=1, policy=QuotaPolicy.WARN)
        contract_id = await package_contract(rpc, terms)
        organization_id = await organization_on(desk_settings, sla, contract_id)
        events = [registered(organization_id) for _ in range(3)]
        for event in events:
            await send(desk_settings, event)
            await counted(sla, event.incident_id)
        await wait_until(lambda: told)
        # Told once: the month's count remembers it, and later ones over the quota
        # announce nothing more.
        warned = await sla.pool.fetchval(
            "SELECT count(*) FROM quota_counts WHERE organization_id = $1"
            " AND warned_at IS NOT NULL",
            organization_id,
        )
        assert warned == 1
        (message,) = told
        payload = message["payload"]
        assert payload["incident_id"] == str(events[1].incident_id)
        assert (payload["per_month"], payload["used"], payload["channel"]) == (1, 2, "email")
        assert payload["renews_on"] > payload["month_start"][:10]
    finally:
        await connection.close()


def rated(event: IncidentRegistered, score: int, at: datetime | None = None) -> IncidentRated:
    return IncidentRated(
        incident_id=event.incident_id,
        number=event.number,
        score=score,
        rated_at=at or utc_now(),
        requester_id=event.requester_id,
        organization_id=event.organization_id,
        category_path=event.category_path,
        channel=event.channel,
    )


async def test_ratings_are_reported_per_channel_and_package_and_a_late_older_one_loses(
    sla: Service, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    name = f"Rated {uuid4()}"
    organization_id = await organization_on(
        desk_settings, sla, await package_contract(rpc, name=name)
    )
    email, phone, complaint = (
        registered(organization_id, Channel.EMAIL),
        registered(organization_id, Channel.PHONE),
        registered(organization_id, Channel.PHONE, path=("complaint",)),
    )
    for event in (email, phone, complaint):
        await send(desk_settings, event)
        await counted(sla, event.incident_id)
    later = utc_now()
    for event in (
        rated(email, 5, later),
        rated(phone, 2),
        rated(email, 1, later.replace(year=2020)),
    ):
        await send(desk_settings, event)

    async def report() -> ChannelReportView | None:
        view = await rpc.ask_as(ChannelReport(segment_by="package"), ChannelReportView)
        mine = [row for row in view.rows if row.segment == name]
        return view if sum(row.satisfaction_count for row in mine) == 2 else None

    await wait_until(report)
    # The rating of 1 was older than the 5 it arrived after: the 5 stands.
    assert (
        await sla.pool.fetchval(
            "SELECT score FROM incident_ratings WHERE incident_id = $1", email.incident_id
        )
        == 5
    )
    view = await rpc.ask_as(ChannelReport(segment_by="package"), ChannelReportView)
    rows = {row.channel: row for row in view.rows if row.segment == name}
    assert (rows[Channel.EMAIL].satisfaction_average, rows[Channel.EMAIL].satisfaction_count) == (
        5.0,
        1,
    )
    assert (rows[Channel.PHONE].satisfaction_average, rows[Channel.PHONE].complaints) == (2.0, 1)
    by_package = await rpc.ask_as(
        SlaReport(organization_id=organization_id, group_by="package"), SlaReportView
    )
    (group,) = by_package.groups
    assert (group.key, group.satisfaction_average, group.satisfaction_count) == (name, 3.5, 2)
    by_channel = await rpc.ask_as(
        SlaReport(organization_id=organization_id, group_by="channel"), SlaReportView
    )
    assert {g.key: g.incidents for g in by_channel.groups} == {"email": 1, "phone": 2}
    # The heads' board lists the rating of 2, not the 5.
    low = await rpc.ask_as(ListLowRatings(limit=200), LowRatings)
    mine = [item for item in low.items if item.organization_id == organization_id]
    assert [(item.incident_id, item.score) for item in mine] == [(phone.incident_id, 2)]
