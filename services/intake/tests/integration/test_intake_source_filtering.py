"""Intake itself — asked directly over the broker, with no gateway in between — never
hands a client an internal entry, an attachment of one, a search hit made by one, or
an incident outside the client's scope; and a retried entry is written once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import aio_pika
import asyncpg
import pytest
import pytest_asyncio
from desk_contracts import Envelope
from desk_contracts.enums import Role, Scope, Status, Visibility
from desk_contracts.messages import (
    AddEntry,
    AttachmentMeta,
    ChangeStatus,
    CreateIncident,
    DeadlinesSet,
    GetAttachment,
    GetIncident,
    IncidentView,
    ListIncidents,
    Principal,
    UpsertCategory,
)
from desk_runtime.rpc import RemoteFailure, RpcClient
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import publish, wait_until
from intake.app import build

pytestmark = pytest.mark.integration

ORG, OTHER_ORG = uuid4(), uuid4()
REQUESTER = Principal(user_id=uuid4(), role=Role.CLIENT, organization_id=ORG, scope=Scope.OWN)
COLLEAGUE = Principal(
    user_id=uuid4(), role=Role.CLIENT, organization_id=ORG, scope=Scope.ORGANIZATION
)
STRANGER = Principal(
    user_id=uuid4(), role=Role.CLIENT, organization_id=OTHER_ORG, scope=Scope.ORGANIZATION
)
AGENT = Principal(user_id=uuid4(), role=Role.AGENT)
SECRET = "quokka-internal-4411"


@pytest_asyncio.fixture
async def ask(desk_settings: DeskSettings) -> AsyncIterator[RpcClient]:
    service = build(desk_settings)
    await service.start()
    connection = await aio_pika.connect_robust(desk_settings.amqp_url)
    client = RpcClient(desk_settings.amqp_url, desk_settings.namespace, "test", 10)
    await client.connect(connection)
    try:
        yield client
    finally:
        await client.close()
        await connection.close()
        await service.stop()


async def test_clients_never_get_internal_history_from_intake(
    ask: RpcClient, desk_settings: DeskSettings
) -> None:
    incident = await _incident(ask, desk_settings)
    note = AddEntry(
        request_id=uuid4(),
        principal=AGENT,
        incident_id=incident,
        text=f"Supplier says {SECRET}",
        visibility=Visibility.INTERNAL,
        attachments=(
            AttachmentMeta(
                attachment_id=uuid4(),
                filename="quote.pdf",
                size=3,
                sha256="a" * 64,
                declared_type="application/pdf",
                sniffed_type="application/pdf",
            ),
        ),
    )
    await ask.ask(note)
    await ask.ask(note)  # a retried request adds nothing

    staff_view = await ask.ask(GetIncident(principal=AGENT, incident_id=incident))
    assert isinstance(staff_view, IncidentView)
    assert sum(SECRET in e.text for e in staff_view.entries) == 1
    for client in (REQUESTER, COLLEAGUE):
        view = await ask.ask(GetIncident(principal=client, incident_id=incident))
        assert SECRET not in view.model_dump_json()
        assert "quote.pdf" not in view.model_dump_json()
        hits = await ask.ask(ListIncidents(principal=client, q="quokka"))
        assert hits.total == 0  # type: ignore[attr-defined]
        with pytest.raises(RemoteFailure) as hidden:
            await ask.ask(
                GetAttachment(principal=client, attachment_id=note.attachments[0].attachment_id)
            )
        assert hidden.value.failure.status == 404
    staff_hits = await ask.ask(ListIncidents(principal=AGENT, q="quokka"))
    assert staff_hits.total == 1  # type: ignore[attr-defined]

    with pytest.raises(RemoteFailure) as outside:
        await ask.ask(GetIncident(principal=STRANGER, incident_id=incident))
    assert outside.value.failure.status == 404
    with pytest.raises(RemoteFailure) as refused:
        await ask.ask(
            AddEntry(
                request_id=uuid4(),
                principal=REQUESTER,
                incident_id=incident,
                text="let me hide this",
                visibility=Visibility.INTERNAL,
            )
        )
    assert refused.value.failure.status == 422
    with pytest.raises(RemoteFailure) as illegal:
        await ask.ask(ChangeStatus(principal=AGENT, incident_id=incident, status=Status.CLOSED))
    assert illegal.value.failure.status == 409
    assert illegal.value.failure.data["allowed"] == [
        "assigned",
        "in_progress",
        "waiting_on_client",
        "resolved",
    ]


async def test_large_match_sets_report_a_capped_total(
    ask: RpcClient, desk_settings: DeskSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import intake.handlers.search

    category = uuid4()
    await publish(
        desk_settings,
        Envelope.wrap(
            UpsertCategory(category_id=category, code="misc", name="Misc"), producer="test"
        ),
    )

    async def create(title: str) -> bool:
        try:
            await ask.ask(
                CreateIncident(
                    request_id=uuid4(),
                    principal=REQUESTER,
                    requester_id=REQUESTER.user_id,
                    organization_id=ORG,
                    title=title,
                    category_id=category,
                )
            )
        except RemoteFailure:
            return False
        return True

    for title in ("one", "two", "three"):
        await wait_until(lambda title=title: create(title), timeout=20, interval=0.2)
    exact = await ask.ask(ListIncidents(principal=AGENT, limit=1))
    assert (exact.total, exact.total_exact, len(exact.items)) == (3, True, 1)  # type: ignore[attr-defined]
    monkeypatch.setattr(intake.handlers.search, "COUNT_CAP", 2)
    capped = await ask.ask(ListIncidents(principal=AGENT, limit=1))
    assert (capped.total, capped.total_exact) == (2, False)  # type: ignore[attr-defined]


def agents_entry(incident: UUID, text: str, visibility: Visibility) -> AddEntry:
    return AddEntry(
        request_id=uuid4(), principal=AGENT, incident_id=incident, text=text, visibility=visibility
    )


async def _incident(
    ask: RpcClient, desk_settings: DeskSettings, original: AttachmentMeta | None = None
) -> UUID:
    category = uuid4()
    await publish(
        desk_settings,
        Envelope.wrap(
            UpsertCategory(category_id=category, code=f"k{category.hex[:8]}", name="Kind"),
            producer="test",
        ),
    )

    async def create() -> UUID | None:
        try:
            created = await ask.ask(
                CreateIncident(
                    request_id=uuid4(),
                    principal=REQUESTER,
                    requester_id=REQUESTER.user_id,
                    organization_id=ORG,
                    title="Label printer jams",
                    category_id=category,
                    original=original,
                )
            )
        except RemoteFailure:
            return None  # the category command is still on its way
        return created.incident_id  # type: ignore[attr-defined,no-any-return]

    found: UUID = await wait_until(create, timeout=20, interval=0.2)
    return found


async def test_internal_activity_does_not_move_what_a_client_sees_as_updated(
    ask: RpcClient, desk_settings: DeskSettings
) -> None:
    incident = await _incident(ask, desk_settings)

    async def updated(who: Principal) -> datetime:
        view = await ask.ask(GetIncident(principal=who, incident_id=incident))
        assert isinstance(view, IncidentView)
        return view.updated_at

    async def listed_first(who: Principal) -> UUID:
        page = await ask.ask(ListIncidents(principal=who, sort="-updated"))
        return page.items[0].incident_id  # type: ignore[attr-defined,no-any-return]

    before = await updated(REQUESTER)
    other = await _incident(ask, desk_settings)  # newer: first in every order for now
    await ask.ask(agents_entry(incident, "internal: waiting for the supplier", Visibility.INTERNAL))
    assert await updated(REQUESTER) == before
    assert await updated(AGENT) > before
    assert await listed_first(AGENT) == incident
    assert await listed_first(REQUESTER) == other

    await ask.ask(agents_entry(incident, "We have ordered the part.", Visibility.PUBLIC))
    assert await updated(REQUESTER) > before
    assert await listed_first(REQUESTER) == incident


async def test_due_times_follow_the_latest_computation_and_keys_stay_with_their_incident(
    ask: RpcClient, desk_settings: DeskSettings
) -> None:
    incident = await _incident(ask, desk_settings)
    now = datetime.now(UTC)

    def deadlines(computed: int, due_hours: int) -> Envelope[DeadlinesSet]:
        return Envelope.wrap(
            DeadlinesSet(
                incident_id=incident,
                contract_id=uuid4(),
                contract_name="Standard",
                contract_version=1,
                response_due=now + timedelta(hours=due_hours),
                resolution_due=now + timedelta(hours=due_hours * 2),
                computed_at=now + timedelta(seconds=computed),
            ),
            producer="test",
        )

    # The later computation (after a pause ended) arrives first, the earlier one after.
    await publish(desk_settings, deadlines(2, 3))
    await publish(desk_settings, deadlines(1, 9))

    intake = await asyncpg.connect(desk_settings.database_url("intake"))
    try:

        async def both_handled() -> bool:
            done = await intake.fetchval(
                "SELECT count(*) FROM inbox WHERE consumer LIKE '%deadlines_set'"
            )
            return bool(done == 2)

        await wait_until(both_handled)
    finally:
        await intake.close()
    view = await ask.ask(GetIncident(principal=AGENT, incident_id=incident))
    assert isinstance(view, IncidentView)
    assert view.response_due == now + timedelta(hours=3)
    # The history ends on the due times that stand: the overtaken ones wrote nothing.
    deadlines = [e.text for e in view.entries if e.kind == "deadline"]
    assert len(deadlines) == 1

    # An Idempotency-Key of one incident's reply does not answer for another incident.
    reply = agents_entry(incident, "On it.", Visibility.PUBLIC)
    await ask.ask(reply)
    elsewhere = await _incident(ask, desk_settings)
    with pytest.raises(RemoteFailure) as reused:
        await ask.ask(reply.model_copy(update={"incident_id": elsewhere}))
    assert reused.value.failure.status == 409
    assert reused.value.failure.errors[0].field == "Idempotency-Key"


async def test_an_incident_is_found_by_its_number_within_the_askers_scope(
    ask: RpcClient, desk_settings: DeskSettings
) -> None:
    incident = await _incident(ask, desk_settings)
    view = await ask.ask(GetIncident(principal=AGENT, incident_id=incident))
    number = view.number  # type: ignore[attr-defined]
    digits = number.removeprefix("INC-")
    for typed in (number, number.lower(), digits, digits.lstrip("0"), f"#{digits.lstrip('0')}"):
        for asker in (AGENT, REQUESTER, COLLEAGUE):
            hits = await ask.ask(ListIncidents(principal=asker, q=typed))
            assert [i.incident_id for i in hits.items] == [incident], (typed, asker.role)  # type: ignore[attr-defined]
            assert hits.total == 1  # type: ignore[attr-defined]
        outside = await ask.ask(ListIncidents(principal=STRANGER, q=typed))
        assert outside.total == 0  # type: ignore[attr-defined]


async def test_a_repeated_or_conflicting_request_draws_no_number(
    ask: RpcClient, desk_settings: DeskSettings
) -> None:
    incident = await _incident(ask, desk_settings)
    first = await ask.ask(GetIncident(principal=AGENT, incident_id=incident))
    category = first.category_id  # type: ignore[attr-defined]

    def filing(title: str, request_id: UUID) -> CreateIncident:
        return CreateIncident(
            request_id=request_id,
            principal=REQUESTER,
            requester_id=REQUESTER.user_id,
            organization_id=ORG,
            title=title,
            category_id=category,
        )

    again = uuid4()
    second = await ask.ask(filing("Scanner is offline", again))
    assert await ask.ask(filing("Scanner is offline", again)) == second  # a replay
    with pytest.raises(RemoteFailure) as conflict:  # the same key, another request
        await ask.ask(filing("Something else entirely", again))
    assert conflict.value.failure.status == 409
    third = await ask.ask(filing("Monitor flickers", uuid4()))

    def drawn(created: object) -> int:
        return int(created.number.removeprefix("INC-"))  # type: ignore[attr-defined]

    assert drawn(third) == drawn(second) + 1 == drawn(first) + 2


def eml(name: str, digit: str) -> AttachmentMeta:
    return AttachmentMeta(
        attachment_id=uuid4(),
        filename=name,
        size=120,
        sha256=digit * 64,
        declared_type="message/rfc822",
        sniffed_type="text/plain",
    )


async def test_the_original_of_a_mail_is_an_internal_entry_a_client_never_sees(
    ask: RpcClient, desk_settings: DeskSettings
) -> None:
    filed_as = eml("mail-20261203-061500.eml", "b")
    incident = await _incident(ask, desk_settings, original=filed_as)
    replied_as = eml("mail-20261203-062000.eml", "c")
    reply = AddEntry(
        request_id=uuid4(),
        principal=REQUESTER,
        incident_id=incident,
        text="It jams again.",
        original=replied_as,
    )
    await ask.ask(reply)
    await ask.ask(reply)  # the mail processed again: nothing twice

    staff_view = await ask.ask(GetIncident(principal=AGENT, incident_id=incident))
    assert isinstance(staff_view, IncidentView)
    originals = [e for e in staff_view.entries if e.facts and e.facts["line"] == "original_mail"]
    assert [
        (e.visibility, e.author_id, [a.filename for a in e.attachments]) for e in originals
    ] == [
        (Visibility.INTERNAL, REQUESTER.user_id, [filed_as.filename]),
        (Visibility.INTERNAL, REQUESTER.user_id, [replied_as.filename]),
    ]
    assert sum(e.text == "It jams again." for e in staff_view.entries) == 1
    for client in (REQUESTER, COLLEAGUE):
        view = await ask.ask(GetIncident(principal=client, incident_id=incident))
        assert ".eml" not in view.model_dump_json()
        assert "It jams again." in view.model_dump_json()
        for original in (filed_as, replied_as):
            with pytest.raises(RemoteFailure) as hidden:
                await ask.ask(GetAttachment(principal=client, attachment_id=original.attachment_id))
            assert hidden.value.failure.status == 404
    seen = await ask.ask(GetAttachment(principal=AGENT, attachment_id=replied_as.attachment_id))
    assert seen.filename == replied_as.filename  # type: ignore[attr-defined]
