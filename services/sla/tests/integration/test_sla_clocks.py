"""The sla service against the real PostgreSQL and RabbitMQ: deadlines from contracts,
pauses, first response, reclassification, resolve/reopen, timers that fire once (across
restarts and with two instances), and the request/reply answers."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import pytest
import pytest_asyncio
from desk_contracts import utc_now
from desk_contracts.enums import Channel, EntryKind, Priority, Role, Status, Visibility
from desk_contracts.messages import (
    CalendarSpec,
    ContractSpec,
    EntryAdded,
    EscalationStepSpec,
    GetContract,
    GetIncidentSla,
    IncidentAssigned,
    IncidentReclassified,
    IncidentRegistered,
    IncidentSla,
    IncidentStatusChanged,
    OrganizationUpserted,
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
from desk_runtime.testing import send, wait_until
from sla.app import build

from .conftest import AGENT, CLIENT

pytestmark = pytest.mark.integration

S = timedelta(seconds=1)


class Collector:
    """Every event sla publishes, as the broker delivers it."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def of(self, kind: str, incident_id: UUID | None = None) -> list[dict[str, Any]]:
        return [
            e["payload"]
            for e in self.events
            if e["type"] == kind
            and (incident_id is None or e["payload"]["incident_id"] == str(incident_id))
        ]


@pytest_asyncio.fixture
async def events(sla: Service, desk_settings: DeskSettings) -> AsyncIterator[Collector]:
    collector = Collector()
    connection = await aio_pika.connect(desk_settings.amqp_url)
    channel = await connection.channel()
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange_name(desk_settings.namespace, EVENTS_EXCHANGE), routing_key="sla.#")

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        collector.events.append(json.loads(message.body))

    await queue.consume(on_message, no_ack=True)
    try:
        yield collector
    finally:
        await connection.close()


async def seconds_contract(
    rpc: RpcClient,
    *,
    response: float = 3,
    resolution: float = 8,
    reminder_before: float | None = 1,
    ladder: tuple[EscalationStepSpec, ...] = (),
    targets: tuple[TargetSpec, ...] = (),
) -> UUID:
    """A 24/7 contract in seconds: one target for everything, or `targets` as given."""
    calendar = await rpc.ask(
        SaveCalendar(calendar=CalendarSpec(name="Always", time_zone="UTC", always_open=True))
    )
    contract = await rpc.ask(
        SaveContract(
            contract=ContractSpec(
                name="Seconds",
                calendar_id=calendar.calendar_id,  # type: ignore[attr-defined]
                targets=targets
                or (
                    TargetSpec(
                        response_seconds=response,
                        resolution_seconds=resolution,
                        reminder_before_seconds=reminder_before,
                    ),
                ),
                escalation=ladder,
            )
        )
    )
    return contract.contract_id  # type: ignore[attr-defined, no-any-return]


async def register(
    settings: DeskSettings,
    organization_id: UUID,
    *,
    at: datetime | None = None,
    priority: Priority = Priority.NORMAL,
    path: tuple[str, ...] = ("fault", "software"),
) -> tuple[UUID, datetime]:
    incident_id = uuid4()
    registered_at = at or utc_now()
    await send(
        settings,
        IncidentRegistered(
            incident_id=incident_id,
            number="INC-000001",
            title="Printer on fire",
            category_id=uuid4(),
            category_path=path,
            priority=priority,
            channel=Channel.PORTAL,
            requester_id=uuid4(),
            organization_id=organization_id,
            registered_at=registered_at,
        ),
    )
    return incident_id, registered_at


async def registered_and_timed(
    settings: DeskSettings, events: Collector, organization_id: UUID, at: datetime
) -> UUID:
    """An incident registered `at`, once sla has announced its due times."""
    incident_id, _ = await register(settings, organization_id, at=at)
    await wait_until(lambda: events.of("sla.deadlines_set", incident_id))
    return incident_id


def status_change(
    incident_id: UUID, previous: Status, status: Status, at: datetime
) -> IncidentStatusChanged:
    return IncidentStatusChanged(
        incident_id=incident_id,
        number="INC-000001",
        previous=previous,
        status=status,
        changed_at=at,
        requester_id=uuid4(),
        category_path=("fault",),
        priority=Priority.NORMAL,
    )


def reclassified(
    incident_id: UUID,
    priority: Priority,
    at: datetime,
    path: tuple[str, ...] = ("fault", "software"),
) -> IncidentReclassified:
    return IncidentReclassified(
        incident_id=incident_id,
        category_id=uuid4(),
        category_path=path,
        priority=priority,
        changed_at=at,
    )


async def organization_on(settings: DeskSettings, contract_id: UUID) -> UUID:
    organization_id = uuid4()
    await send(
        settings,
        OrganizationUpserted(organization_id=organization_id, name="Acme", contract_id=contract_id),
    )
    return organization_id


def comment(
    incident_id: UUID, organization_id: UUID, visibility: Visibility, role: Role, at: datetime
) -> EntryAdded:
    """A comment in the incident's history as intake announces it."""
    return EntryAdded(
        incident_id=incident_id,
        number="INC-000001",
        entry_id=uuid4(),
        kind=EntryKind.COMMENT,
        visibility=visibility,
        author_id=uuid4(),
        author_role=role,
        text="Looking into it",
        created_at=at,
        requester_id=uuid4(),
        organization_id=organization_id,
    )


async def clock_row(service: Service, incident_id: UUID) -> Any:
    return await service.pool.fetchrow(
        "SELECT * FROM incident_clocks WHERE incident_id = $1", incident_id
    )


async def clock_when(service: Service, incident_id: UUID, check: Any, timeout: float = 20.0) -> Any:
    """The incident's clock row once `check(row)` holds."""

    async def found() -> Any:
        row = await clock_row(service, incident_id)
        return row if row is not None and check(row) else None

    return await wait_until(found, timeout=timeout)


async def wait_registered(service: Service, organization_id: UUID, contract_id: UUID) -> None:
    async def mapped() -> bool:
        found = await service.pool.fetchval(
            "SELECT contract_id FROM organization_contracts WHERE organization_id = $1",
            organization_id,
        )
        return bool(found == contract_id)

    await wait_until(mapped, timeout=10)


async def organization_on_seconds_contract(
    rpc: RpcClient, settings: DeskSettings, service: Service, **targets: Any
) -> UUID:
    """An organization under a fresh contract with targets in seconds, known to sla."""
    contract_id = await seconds_contract(rpc, **targets)
    organization_id = await organization_on(settings, contract_id)
    await wait_registered(service, organization_id, contract_id)
    return organization_id


async def test_default_contract_gives_due_times_and_announces_them(
    sla: Service, events: Collector, desk_settings: DeskSettings
) -> None:
    incident_id, registered = await register(desk_settings, uuid4(), priority=Priority.HIGH)
    announced = await wait_until(lambda: events.of("sla.deadlines_set", incident_id))
    # The seeded Standard contract is 24/7: high = 2 h response, 24 h resolution.
    assert datetime.fromisoformat(announced[0]["response_due"]) == registered + 2 * 3600 * S
    assert datetime.fromisoformat(announced[0]["resolution_due"]) == registered + 24 * 3600 * S
    row = await clock_row(sla, incident_id)
    assert row["contract_version"] == 1
    timers = await sla.pool.fetch(
        "SELECT kind, due_at FROM durable_timers WHERE key = $1 AND state = 'armed'",
        str(incident_id),
    )
    kinds = {t["kind"]: t["due_at"] for t in timers}
    assert kinds["response_breach"] == registered + 2 * 3600 * S
    assert kinds["resolution_breach"] == registered + 24 * 3600 * S
    # The default ladder: one and two business days (24 h each on 24/7); not critical.
    assert kinds["escalation:1:group_head"] == registered + 24 * 3600 * S
    assert kinds["escalation:2:department_head"] == registered + 48 * 3600 * S
    assert "escalation:3:escalation_contact" not in kinds


async def test_a_contract_version_saved_after_the_registration_does_not_apply(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    """SPEC §4: a contract change applies to incidents registered after it, even when
    sla handles an earlier registration only after the change was saved."""
    contract_id = await seconds_contract(rpc, response=30, resolution=600, reminder_before=None)
    organization_id = await organization_on(desk_settings, contract_id)
    await wait_registered(sla, organization_id, contract_id)
    registered_before = utc_now()
    first = await rpc.ask(GetContract(contract_id=contract_id))
    calendar_id = first.calendar_id  # type: ignore[attr-defined]
    second = await rpc.ask(
        SaveContract(
            contract_id=contract_id,
            contract=ContractSpec(
                name="Seconds",
                calendar_id=calendar_id,
                targets=(TargetSpec(response_seconds=10, resolution_seconds=300),),
                escalation=(),
            ),
        )
    )
    assert second.version == 2  # type: ignore[attr-defined]
    # Both registrations reach sla after version 2 was saved; only one happened after it.
    early, _ = await register(desk_settings, organization_id, at=registered_before)
    late, registered_after = await register(desk_settings, organization_id)
    await wait_until(
        lambda: events.of("sla.deadlines_set", early) and events.of("sla.deadlines_set", late)
    )
    early_row, late_row = await clock_row(sla, early), await clock_row(sla, late)
    assert early_row["contract_version"] == 1
    assert early_row["response_due"] == registered_before + 30 * S
    assert late_row["contract_version"] == 2
    assert late_row["response_due"] == registered_after + 10 * S


async def test_reminder_then_breach_at_the_due_times_each_once(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    organization_id = await organization_on_seconds_contract(
        rpc, desk_settings, sla, response=3, resolution=60, reminder_before=1
    )
    incident_id, registered = await register(desk_settings, organization_id)

    breach = await wait_until(lambda: events.of("sla.breached", incident_id), timeout=15)
    reminders = events.of("sla.reminder_due", incident_id)
    assert [r["clock"] for r in reminders] == ["response"]
    assert datetime.fromisoformat(reminders[0]["due_at"]) == registered + 3 * S
    assert datetime.fromisoformat(reminders[0]["fired_at"]) >= registered + 2 * S
    assert breach[0]["clock"] == "response"
    assert datetime.fromisoformat(breach[0]["due_at"]) == registered + 3 * S
    assert datetime.fromisoformat(breach[0]["fired_at"]) >= registered + 3 * S
    row = await clock_row(sla, incident_id)
    assert row["response_breached_at"] == registered + 3 * S
    await asyncio.sleep(0.5)
    assert len(events.of("sla.breached", incident_id)) == 1


async def test_a_wait_on_the_client_moves_the_breach_by_the_paused_time(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    organization_id = await organization_on_seconds_contract(
        rpc, desk_settings, sla, response=3, resolution=60, reminder_before=None
    )
    incident_id, registered = await register(desk_settings, organization_id)
    await wait_until(lambda: events.of("sla.deadlines_set", incident_id))
    await send(
        desk_settings,
        status_change(
            incident_id, Status.IN_PROGRESS, Status.WAITING_ON_CLIENT, registered + 0.5 * S
        ),
    )

    async def paused() -> bool:
        return bool(
            await sla.pool.fetchval(
                "SELECT count(*) FROM incident_pauses WHERE incident_id = $1", incident_id
            )
        )

    await wait_until(paused)
    await send(
        desk_settings,
        status_change(
            incident_id, Status.WAITING_ON_CLIENT, Status.IN_PROGRESS, registered + 2.5 * S
        ),
    )
    breach = await wait_until(lambda: events.of("sla.breached", incident_id), timeout=15)
    assert datetime.fromisoformat(breach[0]["due_at"]) == registered + 5 * S
    moved = [
        datetime.fromisoformat(e["response_due"])
        for e in events.of("sla.deadlines_set", incident_id)
    ]
    assert moved[0] == registered + 3 * S
    assert moved[-1] == registered + 5 * S
    row = await clock_row(sla, incident_id)
    assert row["client_delay_seconds"] == pytest.approx(2.0)
    view = await rpc.ask(GetIncidentSla(principal=AGENT, incident_id=incident_id))
    assert isinstance(view, IncidentSla)
    assert [p.kind for p in view.pauses] == ["client"]
    assert view.pauses[0].business_seconds == pytest.approx(2.0)
    assert any("Client-caused delay in total: 2 s" in line for line in view.protocol)


async def stored_changes(service: Service, incident_id: UUID, count: int) -> None:
    async def recorded() -> bool:
        found = await service.pool.fetchval(
            "SELECT count(*) FROM status_changes WHERE incident_id = $1", incident_id
        )
        return bool(found == count)

    await wait_until(recorded)


async def armed_timers(service: Service, incident_id: UUID) -> dict[str, datetime]:
    rows = await service.pool.fetch(
        "SELECT kind, due_at FROM durable_timers WHERE key = $1 AND state = 'armed'",
        str(incident_id),
    )
    return {r["kind"]: r["due_at"] for r in rows}


async def test_the_end_of_a_wait_handled_before_its_start_closes_the_pause(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    """in progress → waiting (t1) and waiting → in progress (t2) reach sla in the other
    order: the wait is booked as [t1, t2] and the clocks run on, not stopped for good."""
    organization_id = await organization_on_seconds_contract(
        rpc, desk_settings, sla, response=30, resolution=600, reminder_before=None
    )
    incident_id, registered = await register(desk_settings, organization_id)
    await wait_until(lambda: events.of("sla.deadlines_set", incident_id))
    await send(
        desk_settings,
        status_change(
            incident_id, Status.WAITING_ON_CLIENT, Status.IN_PROGRESS, registered + 2.5 * S
        ),
    )
    await stored_changes(sla, incident_id, 1)
    await send(
        desk_settings,
        status_change(
            incident_id, Status.IN_PROGRESS, Status.WAITING_ON_CLIENT, registered + 0.5 * S
        ),
    )

    row = await clock_when(sla, incident_id, lambda row: row["response_due"] != registered + 30 * S)
    # The older change does not undo the newer one.
    assert row["status"] == "in_progress"
    assert row["response_due"] == registered + 32 * S
    assert row["resolution_due"] == registered + 602 * S
    assert row["client_delay_seconds"] == pytest.approx(2.0)
    pauses = await sla.pool.fetch(
        "SELECT kind, started_at, ended_at FROM incident_pauses WHERE incident_id = $1",
        incident_id,
    )
    assert [tuple(p) for p in pauses] == [("client", registered + 0.5 * S, registered + 2.5 * S)]
    # The breach timers stay armed, at the moved due times.
    armed = await armed_timers(sla, incident_id)
    assert armed["response_breach"] == registered + 32 * S
    assert armed["resolution_breach"] == registered + 602 * S
    announced = events.of("sla.deadlines_set", incident_id)
    assert datetime.fromisoformat(announced[-1]["response_due"]) == registered + 32 * S


async def test_a_reopen_handled_before_its_resolve_keeps_the_incident_open(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    organization_id = await organization_on_seconds_contract(
        rpc, desk_settings, sla, response=100, resolution=70, reminder_before=None
    )
    registered = utc_now() - 60 * S  # history told after the fact
    incident_id = await registered_and_timed(desk_settings, events, organization_id, registered)
    await send(
        desk_settings,
        status_change(incident_id, Status.RESOLVED, Status.REOPENED, registered + 24 * S),
    )
    await stored_changes(sla, incident_id, 1)
    await send(
        desk_settings,
        status_change(incident_id, Status.IN_PROGRESS, Status.RESOLVED, registered + 4 * S),
    )

    row = await clock_when(
        sla, incident_id, lambda row: row["resolution_due"] != registered + 70 * S
    )
    assert (row["status"], row["reopen_count"]) == ("reopened", 1)
    assert row["resolved_at"] is None
    # 20 s spent resolved do not count: the 70 s target ends 90 s after registration.
    assert row["resolution_due"] == registered + 90 * S
    assert row["client_delay_seconds"] == 0
    assert (await armed_timers(sla, incident_id))["resolution_breach"] == registered + 90 * S
    # The same reopen delivered again counts once.
    await send(
        desk_settings,
        status_change(incident_id, Status.RESOLVED, Status.REOPENED, registered + 24 * S),
    )
    await send(
        desk_settings,
        status_change(incident_id, Status.REOPENED, Status.RESOLVED, registered + 27 * S),
    )

    row = await clock_when(sla, incident_id, lambda found: found["resolved_at"] is not None)
    assert row["reopen_count"] == 1
    assert row["resolution_business_seconds"] == pytest.approx(7.0)


async def test_first_public_staff_reply_stops_the_response_clock(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    organization_id = await organization_on_seconds_contract(
        rpc, desk_settings, sla, response=30, resolution=60, reminder_before=None
    )
    incident_id, registered = await register(desk_settings, organization_id)
    await wait_until(lambda: events.of("sla.deadlines_set", incident_id))

    def entry(visibility: Visibility, role: Role, offset: float) -> EntryAdded:
        return comment(incident_id, organization_id, visibility, role, registered + offset * S)

    # An internal note and a client's message do not answer the client.
    await send(desk_settings, entry(Visibility.INTERNAL, Role.AGENT, 1))
    await send(desk_settings, entry(Visibility.PUBLIC, Role.CLIENT, 2))
    await send(desk_settings, entry(Visibility.PUBLIC, Role.AGENT, 4))
    await send(desk_settings, entry(Visibility.PUBLIC, Role.HEAD, 6))

    row = await clock_when(sla, incident_id, lambda row: row["first_response_at"])
    assert row["first_response_at"] == registered + 4 * S
    assert row["response_business_seconds"] == pytest.approx(4.0)

    async def response_timers_cancelled() -> bool:
        states = await sla.pool.fetch(
            "SELECT kind, state FROM durable_timers WHERE key = $1", str(incident_id)
        )
        found = {r["kind"]: r["state"] for r in states}
        return found.get("response_breach") == "cancelled"

    await wait_until(response_timers_cancelled)
    view = await rpc.ask(GetIncidentSla(principal=CLIENT, incident_id=incident_id))
    assert isinstance(view, IncidentSla)
    response = next(c for c in view.clocks if c.clock == "response")
    assert response.state == "met"
    assert response.difference_seconds == pytest.approx(-26.0)
    # Clients are not shown the escalation plan or the timers.
    assert view.escalations == ()
    assert view.timers == ()


async def test_next_reply_clock_runs_from_a_client_entry_to_the_next_staff_answer(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    organization_id = await organization_on_seconds_contract(
        rpc, desk_settings, sla, response=2, resolution=600, reminder_before=None
    )
    incident_id, registered = await register(desk_settings, organization_id)
    await wait_until(lambda: events.of("sla.deadlines_set", incident_id))

    def entry(visibility: Visibility, role: Role, at: datetime) -> EntryAdded:
        return comment(incident_id, organization_id, visibility, role, at)

    async def row_where(check: Any) -> Any:
        return await clock_when(sla, incident_id, check, timeout=15)

    await send(desk_settings, entry(Visibility.PUBLIC, Role.AGENT, utc_now()))
    await row_where(lambda r: r["first_response_at"] is not None)
    # Written before the first answer: the first-response clock covered that wait.
    await send(desk_settings, entry(Visibility.PUBLIC, Role.CLIENT, registered))

    # The client asks again and nobody answers within the 2 s target: a breach, once.
    asked = utc_now()
    await send(desk_settings, entry(Visibility.PUBLIC, Role.CLIENT, asked))
    row = await row_where(lambda r: r["next_reply_started_at"] is not None)
    assert row["next_reply_due"] == asked + 2 * S
    # An internal note is no answer; a second client message keeps the oldest one.
    await send(desk_settings, entry(Visibility.INTERNAL, Role.AGENT, asked + 0.1 * S))
    await send(desk_settings, entry(Visibility.PUBLIC, Role.CLIENT, asked + 0.2 * S))
    breach = await wait_until(
        lambda: [e for e in events.of("sla.breached", incident_id) if e["clock"] == "next_reply"],
        timeout=15,
    )
    assert datetime.fromisoformat(breach[0]["due_at"]) == asked + 2 * S
    assert (await clock_row(sla, incident_id))["next_reply_started_at"] == asked

    answered = asked + 3 * S
    await send(desk_settings, entry(Visibility.PUBLIC, Role.AGENT, answered))
    await row_where(lambda r: r["next_reply_started_at"] is None)
    kept = await sla.pool.fetchrow(
        "SELECT * FROM reply_clocks WHERE incident_id = $1 AND started_at = $2", incident_id, asked
    )
    assert kept["answered_at"] == answered
    assert kept["business_seconds"] == pytest.approx(3.0)
    assert kept["breached_at"] == asked + 2 * S
    view = await rpc.ask(GetIncidentSla(principal=CLIENT, incident_id=incident_id))
    assert isinstance(view, IncidentSla)
    reply = next(c for c in view.clocks if c.clock == "next_reply")
    assert (reply.state, reply.target_seconds) == ("breached", 2.0)
    assert reply.difference_seconds == pytest.approx(1.0)

    # The next question answered in time: met, and its breach timer never fires.
    again = utc_now()
    await send(desk_settings, entry(Visibility.PUBLIC, Role.CLIENT, again))
    await row_where(lambda r: r["next_reply_started_at"] == again)
    await send(desk_settings, entry(Visibility.PUBLIC, Role.HEAD, again + 0.5 * S))
    await row_where(lambda r: r["next_reply_started_at"] is None)
    view = await rpc.ask(GetIncidentSla(principal=CLIENT, incident_id=incident_id))
    assert isinstance(view, IncidentSla)
    reply = next(c for c in view.clocks if c.clock == "next_reply")
    assert reply.state == "met"
    assert reply.difference_seconds == pytest.approx(-1.5)
    states = {
        r["kind"]: r["state"]
        for r in await sla.pool.fetch(
            "SELECT kind, state FROM durable_timers WHERE key = $1 AND kind LIKE 'next_reply%'",
            str(incident_id),
        )
    }
    assert sorted(states.values()) == ["cancelled", "fired"]
    await asyncio.sleep(2.5)
    breaches = [e for e in events.of("sla.breached", incident_id) if e["clock"] == "next_reply"]
    assert len(breaches) == 1


async def test_reclassification_recomputes_from_registration(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    incident_id, registered = await register(desk_settings, uuid4(), priority=Priority.LOW)
    await wait_until(lambda: events.of("sla.deadlines_set", incident_id))
    await send(
        desk_settings,
        reclassified(incident_id, Priority.CRITICAL, registered + 10 * S, path=("fault",)),
    )
    announced = await wait_until(
        lambda: [
            e for e in events.of("sla.deadlines_set", incident_id) if e["resolution_due"] != ""
        ][1:]
    )
    # Standard critical: 30 min response, 48 h resolution, counted from registration.
    assert datetime.fromisoformat(announced[-1]["response_due"]) == registered + 1800 * S
    assert datetime.fromisoformat(announced[-1]["resolution_due"]) == registered + 48 * 3600 * S
    armed = {
        r["kind"]
        for r in await sla.pool.fetch(
            "SELECT kind FROM durable_timers WHERE key = $1 AND state = 'armed'",
            str(incident_id),
        )
    }
    # Critical incidents also reach the category's escalation contact after one day.
    assert "escalation:3:escalation_contact" in armed
    view = await rpc.ask(GetIncidentSla(principal=AGENT, incident_id=incident_id))
    assert isinstance(view, IncidentSla)
    assert [c.reason for c in view.computations] == ["registered", "reclassified"]


async def test_resolve_and_reopen_do_not_count_the_time_spent_resolved(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    organization_id = await organization_on_seconds_contract(
        rpc, desk_settings, sla, response=100, resolution=70, reminder_before=None
    )
    registered = utc_now() - 60 * S  # history told after the fact
    incident_id = await registered_and_timed(desk_settings, events, organization_id, registered)
    await send(
        desk_settings,
        IncidentAssigned(
            incident_id=incident_id,
            agent_id=(agent := uuid4()),
            reason="least loaded",
            assigned_at=registered + S,
        ),
    )
    await send(
        desk_settings,
        status_change(incident_id, Status.IN_PROGRESS, Status.RESOLVED, registered + 4 * S),
    )
    await send(
        desk_settings,
        status_change(incident_id, Status.RESOLVED, Status.REOPENED, registered + 24 * S),
    )

    row = await clock_when(sla, incident_id, lambda row: row["reopen_count"] == 1)
    assert row["assignee_id"] == agent
    # 20 s spent resolved do not count: the 70 s target ends 90 s after registration.
    assert row["resolution_due"] == registered + 90 * S
    assert row["client_delay_seconds"] == 0
    await send(
        desk_settings,
        status_change(incident_id, Status.REOPENED, Status.RESOLVED, registered + 27 * S),
    )

    row = await clock_when(sla, incident_id, lambda found: found["resolved_at"] is not None)
    assert row["resolution_business_seconds"] == pytest.approx(7.0)
    assert row["resolution_breached_at"] is None
    report = await rpc.ask(SlaReport(agent_id=agent, group_by="agent"))
    assert isinstance(report, SlaReportView)
    assert report.total.incidents == 1
    assert report.total.resolved == 1
    assert report.total.reopens == 1
    assert report.total.resolution_median_seconds == pytest.approx(7.0)
    assert report.groups[0].key == str(agent)


async def test_an_answer_in_time_handled_after_the_breach_fired_is_met(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    """sla was down while an agent answered 30 s before the response deadline: on start
    the overdue timer fires before the queued answer is handled. Once it is, the
    response clock is met and the breach is gone from the view and the statistics."""
    organization_id = await organization_on_seconds_contract(
        rpc, desk_settings, sla, response=60, resolution=600, reminder_before=None
    )
    registered = utc_now() - 90 * S  # the response deadline passed 30 s ago
    incident_id, _ = await register(desk_settings, organization_id, at=registered)
    breach = await wait_until(lambda: events.of("sla.breached", incident_id), timeout=15)
    assert breach[0]["clock"] == "response"
    assert (await clock_row(sla, incident_id))["response_breached_at"] == registered + 60 * S

    answer = comment(incident_id, organization_id, Visibility.PUBLIC, Role.AGENT, registered)
    await send(desk_settings, answer.model_copy(update={"created_at": registered + 30 * S}))

    row = await clock_when(sla, incident_id, lambda row: row["first_response_at"])
    assert row["first_response_at"] == registered + 30 * S
    assert row["response_breached_at"] is None
    view = await rpc.ask(GetIncidentSla(principal=AGENT, incident_id=incident_id))
    assert isinstance(view, IncidentSla)
    response = next(c for c in view.clocks if c.clock == "response")
    assert (response.state, response.breached_at) == ("met", None)
    assert response.difference_seconds == pytest.approx(-30.0)
    # The timer did fire (its notification went out); nothing re-arms a met clock.
    assert "response_breach" not in await armed_timers(sla, incident_id)
    report = await rpc.ask(SlaReport(organization_id=organization_id))
    assert isinstance(report, SlaReportView)
    assert (report.total.responded, report.total.response_breaches) == (1, 0)
    assert (report.total.breached, report.total.breach_rate) == (0, 0.0)


async def test_a_late_wait_that_moves_the_due_past_the_breach_withdraws_it(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    """A wait on the client that began before the response deadline is handled after the
    breach fired: the deadline moves past the breach instant, so the breach is withdrawn
    and the timer armed again at the new due time."""
    organization_id = await organization_on_seconds_contract(
        rpc, desk_settings, sla, response=30, resolution=600, reminder_before=None
    )
    registered = utc_now() - 40 * S
    incident_id, _ = await register(desk_settings, organization_id, at=registered)
    await wait_until(lambda: events.of("sla.breached", incident_id), timeout=15)
    assert (await clock_row(sla, incident_id))["response_breached_at"] == registered + 30 * S

    # Waiting on the client from 10 s after registration until now: 20 s of the target
    # remain after it.
    await send(
        desk_settings,
        status_change(
            incident_id, Status.IN_PROGRESS, Status.WAITING_ON_CLIENT, registered + 10 * S
        ),
    )
    await stored_changes(sla, incident_id, 1)
    resumed = utc_now()
    await send(
        desk_settings,
        status_change(incident_id, Status.WAITING_ON_CLIENT, Status.IN_PROGRESS, resumed),
    )
    due = resumed + 20 * S

    row = await clock_when(sla, incident_id, lambda row: row["response_due"] == due)
    assert row["response_breached_at"] is None
    assert (await armed_timers(sla, incident_id))["response_breach"] == due
    view = await rpc.ask(GetIncidentSla(principal=AGENT, incident_id=incident_id))
    assert isinstance(view, IncidentSla)
    response = next(c for c in view.clocks if c.clock == "response")
    assert (response.state, response.breached_at, response.due_at) == ("running", None, due)
    report = await rpc.ask(SlaReport(organization_id=organization_id))
    assert isinstance(report, SlaReportView)
    assert report.total.response_breaches == 0


async def test_a_breach_kept_by_a_reclassification_survives_later_changes(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    """Breached at its 20 s response target, the incident is lowered to a priority with
    an hour's target: the breach stands, at that change and at every later one, and no
    second breach fires at the new due time."""
    organization_id = await organization_on_seconds_contract(
        rpc,
        desk_settings,
        sla,
        targets=(
            TargetSpec(priority=Priority.LOW, response_seconds=3600, resolution_seconds=7200),
            TargetSpec(response_seconds=20, resolution_seconds=7200),
        ),
    )
    registered = utc_now() - 30 * S
    incident_id, _ = await register(desk_settings, organization_id, at=registered)
    await wait_until(lambda: events.of("sla.breached", incident_id), timeout=15)
    breached_at = registered + 20 * S
    assert (await clock_row(sla, incident_id))["response_breached_at"] == breached_at

    await send(
        desk_settings,
        reclassified(incident_id, Priority.LOW, utc_now()),
    )

    row = await clock_when(
        sla, incident_id, lambda row: row["response_due"] == registered + 3600 * S
    )
    assert row["response_breached_at"] == breached_at
    # A later recomputation (a wait on the client) keeps it, and arms no second breach.
    await send(
        desk_settings,
        status_change(incident_id, Status.IN_PROGRESS, Status.WAITING_ON_CLIENT, utc_now()),
    )
    await stored_changes(sla, incident_id, 1)

    row = await clock_when(sla, incident_id, lambda row: row["status"] == "waiting_on_client")
    assert row["response_breached_at"] == breached_at
    assert "response_breach" not in await armed_timers(sla, incident_id)
    report = await rpc.ask(SlaReport(organization_id=organization_id))
    assert isinstance(report, SlaReportView)
    assert report.total.response_breaches == 1


async def test_a_reclassification_after_the_resolution_invents_no_breach(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    """Resolved in 30 s under a two-hour target, then raised to critical (10 s): the new
    target is no fact about how the work went, so no resolution breach appears."""
    organization_id = await organization_on_seconds_contract(
        rpc,
        desk_settings,
        sla,
        targets=(
            TargetSpec(priority=Priority.CRITICAL, response_seconds=10, resolution_seconds=10),
            TargetSpec(response_seconds=3600, resolution_seconds=7200),
        ),
    )
    registered = utc_now() - 60 * S
    incident_id = await registered_and_timed(desk_settings, events, organization_id, registered)
    await send(
        desk_settings,
        status_change(incident_id, Status.IN_PROGRESS, Status.RESOLVED, registered + 30 * S),
    )

    await clock_when(sla, incident_id, lambda row: row["resolved_at"])
    await send(
        desk_settings,
        reclassified(incident_id, Priority.CRITICAL, utc_now()),
    )

    row = await clock_when(
        sla, incident_id, lambda row: row["resolution_due"] == registered + 10 * S
    )
    assert row["resolution_breached_at"] is None


async def test_a_reopen_after_a_long_resolved_span_does_not_breach_the_next_reply(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    """The client writes "thanks" (opening the next-reply clock), the agent resolves
    without a public reply, and the client reopens long after: the time spent resolved
    does not count, so the next-reply breach is armed ahead, not fired at once."""
    organization_id = await organization_on_seconds_contract(
        rpc, desk_settings, sla, response=30, resolution=600, reminder_before=None
    )
    registered = utc_now() - 200 * S  # history told after the fact
    incident_id = await registered_and_timed(desk_settings, events, organization_id, registered)

    async def row_where(check: Any) -> Any:
        return await clock_when(sla, incident_id, check, timeout=15)

    def entry(role: Role, offset: float) -> EntryAdded:
        return comment(
            incident_id, organization_id, Visibility.PUBLIC, role, registered + offset * S
        )

    await send(desk_settings, entry(Role.AGENT, 1))
    await row_where(lambda r: r["first_response_at"] is not None)
    await send(
        desk_settings,
        status_change(incident_id, Status.IN_PROGRESS, Status.RESOLVED, registered + 3 * S),
    )
    await row_where(lambda r: r["status"] == "resolved")
    # "Thanks", written a second before the resolve: 29 s of the 30 s target remain.
    await send(desk_settings, entry(Role.CLIENT, 2))
    await row_where(lambda r: r["next_reply_started_at"] == registered + 2 * S)
    reopened = utc_now()
    await send(
        desk_settings, status_change(incident_id, Status.RESOLVED, Status.REOPENED, reopened)
    )
    row = await row_where(lambda r: r["reopen_count"] == 1)
    due = reopened + 29 * S
    assert row["next_reply_due"] == due
    assert row["next_reply_breached_at"] is None
    armed = await armed_timers(sla, incident_id)
    assert armed[f"next_reply_breach:{(registered + 2 * S).strftime('%Y%m%dT%H%M%S.%fZ')}"] == due
    assert not [e for e in events.of("sla.breached", incident_id) if e["clock"] == "next_reply"]
    view = await rpc.ask(GetIncidentSla(principal=CLIENT, incident_id=incident_id))
    assert isinstance(view, IncidentSla)
    reply = next(c for c in view.clocks if c.clock == "next_reply")
    assert (reply.state, reply.due_at) == ("running", due)

    # Answered 5 s after the reopen: 6 s of business time waited, in time.
    await send(
        desk_settings, entry(Role.AGENT, 0).model_copy(update={"created_at": reopened + 5 * S})
    )
    await row_where(lambda r: r["next_reply_started_at"] is None)
    kept = await sla.pool.fetchrow("SELECT * FROM reply_clocks WHERE incident_id = $1", incident_id)
    assert (kept["due_at"], kept["breached_at"]) == (due, None)
    assert kept["business_seconds"] == pytest.approx(6.0)


async def test_invalid_calendar_names_the_field(rpc: RpcClient) -> None:
    with pytest.raises(RemoteFailure) as caught:
        await rpc.ask(
            SaveCalendar(
                calendar=CalendarSpec(
                    name="Nowhere",
                    time_zone="Mars/Olympus",
                    weekly_hours={0: (("09:00", "18:00"),)},
                )
            )
        )
    assert caught.value.failure.status == 422
    assert caught.value.failure.errors[0].field == "calendar.time_zone"
    with pytest.raises(RemoteFailure) as caught:
        await rpc.ask(
            SaveCalendar(
                calendar=CalendarSpec(
                    name="Upside down", time_zone="UTC", weekly_hours={0: (("18:00", "09:00"),)}
                )
            )
        )
    assert caught.value.failure.status == 422
    assert caught.value.failure.errors[0].field == "calendar.weekly_hours"


# --- durability and concurrency of the timers ------------------------------------------


def fired_counts(events: Collector) -> Counter[tuple[str, str, str]]:
    counts: Counter[tuple[str, str, str]] = Counter()
    for event in events.events:
        if event["type"] in ("sla.breached", "sla.reminder_due", "sla.escalated"):
            payload = event["payload"]
            what = payload.get("clock") or str(payload.get("level"))
            counts[(payload["incident_id"], event["type"], what)] += 1
    return counts


async def test_timers_due_while_sla_was_down_fire_once_after_restart(
    desk_settings: DeskSettings,
) -> None:
    first = build(desk_settings)
    await first.start()
    collector = Collector()
    connection = await aio_pika.connect(desk_settings.amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(
            exchange_name(desk_settings.namespace, EVENTS_EXCHANGE), routing_key="sla.#"
        )

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            collector.events.append(json.loads(message.body))

        await queue.consume(on_message, no_ack=True)
        connection_rpc = await aio_pika.connect_robust(desk_settings.amqp_url)
        client = RpcClient(desk_settings.amqp_url, desk_settings.namespace, "tests", 10)
        await client.connect(connection_rpc)
        ladder = (EscalationStepSpec(level=1, after_seconds=5, notify="group_head", reassign=True),)
        contract_id = await seconds_contract(
            client, response=4, resolution=5, reminder_before=1, ladder=ladder
        )
        await client.close()
        await connection_rpc.close()
        organization_id = await organization_on(desk_settings, contract_id)
        await wait_registered(first, organization_id, contract_id)
        incidents = [(await register(desk_settings, organization_id))[0] for _ in range(20)]

        async def all_armed() -> bool:
            count = await first.pool.fetchval("SELECT count(*) FROM durable_timers")
            return bool(count == 20 * 5)

        await wait_until(all_armed)
        waiting = await first.pool.fetchval(
            "SELECT count(*) FROM durable_timers WHERE state = 'armed'"
        )
        await first.stop()  # down while the timers wait
        assert waiting > 0
        await asyncio.sleep(5.5)  # every timer falls due while nobody runs
        second = build(desk_settings)
        await second.start()
        try:
            expected = {
                (str(i), kind, what)
                for i in incidents
                for kind, what in (
                    ("sla.reminder_due", "response"),
                    ("sla.reminder_due", "resolution"),
                    ("sla.breached", "response"),
                    ("sla.breached", "resolution"),
                    ("sla.escalated", "1"),
                )
            }
            await wait_until(lambda: set(fired_counts(collector)) >= expected, timeout=20)
            await asyncio.sleep(1.0)  # room for a duplicate to show up, if there were one
            counts = fired_counts(collector)
            assert {key: counts[key] for key in expected} == dict.fromkeys(expected, 1)
            escalated = [e for e in collector.of("sla.escalated")]
            assert all(e["reassign"] and e["notify"] == "group_head" for e in escalated)
        finally:
            await second.stop()
    finally:
        with contextlib.suppress(Exception):
            await connection.close()


async def test_two_instances_never_fire_one_timer_twice(
    sla: Service, events: Collector, rpc: RpcClient, desk_settings: DeskSettings
) -> None:
    other = build(desk_settings.replaced(**{"health_port": None}))
    await other.start()
    try:
        organization_id = await organization_on_seconds_contract(
            rpc, desk_settings, sla, response=2, resolution=3, reminder_before=1
        )
        incidents = [(await register(desk_settings, organization_id))[0] for _ in range(60)]
        expected = {
            (str(i), kind, what)
            for i in incidents
            for kind, what in (
                ("sla.reminder_due", "response"),
                ("sla.reminder_due", "resolution"),
                ("sla.breached", "response"),
                ("sla.breached", "resolution"),
            )
        }
        await wait_until(lambda: set(fired_counts(events)) >= expected, timeout=30)
        await asyncio.sleep(1.0)
        counts = fired_counts(events)
        assert {key: counts[key] for key in expected} == dict.fromkeys(expected, 1)
        states = await sla.pool.fetch(
            "SELECT state, count(*) FROM durable_timers WHERE key = ANY($1::text[]) "
            "AND kind NOT LIKE 'escalation%' GROUP BY state",
            [str(i) for i in incidents],
        )
        assert {r["state"]: r["count"] for r in states} == {"fired": 60 * 4}
    finally:
        await other.stop()


async def test_naive_instants_are_refused_in_preview(
    rpc: RpcClient, sla: Service, desk_settings: DeskSettings
) -> None:
    from desk_contracts.messages import PreviewDeadlines

    with pytest.raises(RemoteFailure) as caught:
        await rpc.ask(
            PreviewDeadlines(
                contract_id=UUID("00000000-0000-4000-8000-000000000010"),
                registered_at=datetime(2026, 3, 9, 9, 0),
            )
        )
    assert caught.value.failure.status == 422
    assert caught.value.failure.errors[0].field == "registered_at"
