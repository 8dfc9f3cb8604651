"""Packages and their quotas (SPEC §12): each registered incident counts against its
organization's terms for its channel in the contract month; a reclassification moves
the count; a claim asked before filing holds the unit a `refuse` quota would otherwise
deny; the package as a client reads it. The arithmetic is `domain/quotas.py`, the SQL
`store/quotas.py`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from desk_contracts import utc_now
from desk_contracts.enums import Channel, QuotaPolicy
from desk_contracts.messages import (
    ChannelPackageView,
    ClaimQuota,
    IncidentReclassified,
    IncidentRegistered,
    PackageView,
    QuotaClaim,
    QuotaUsedUp,
)
from desk_runtime.service import UnitOfWork

from .contracts import (
    ContractVersion,
    calendar_from_row,
    contract_versions_for,
    version_in_force,
)
from .domain import WorkingCalendar
from .domain.quotas import (
    ACCEPTED,
    ChannelTerm,
    ContractMonth,
    Decision,
    applicable_term,
    clock_start,
    contract_month,
    decide,
    left,
    month_of,
    unlimited,
)
from .store import contracts as contract_store
from .store import quotas as store
from .store.quotas import CountKey

# How long a granted claim holds its unit for the registration it precedes.
CLAIM_HOLD_SECONDS = 300.0


async def versions(uow: UnitOfWork, organization_id: UUID) -> tuple[ContractVersion, ...]:
    """The organization's contract versions, read once per unit of work (the clocks'
    handler of the same registration shares the read)."""
    return await uow.remember(
        ("contract", organization_id),
        lambda: contract_versions_for(uow.conn, organization_id),
    )


def key_for(organization_id: UUID, term: ChannelTerm, month: ContractMonth) -> CountKey:
    return CountKey(organization_id, term.channel.value, term.scope, month.first)


async def _tell(
    uow: UnitOfWork,
    key: CountKey,
    term: ChannelTerm,
    decision: Decision,
    used: int,
    month: ContractMonth,
    contract: ContractVersion,
    incident_id: UUID,
) -> None:
    """The first request over a `warn` quota in the month: the account manager hears."""
    if not decision.tell:
        return
    await store.mark_warned(uow.conn, key)
    await uow.publish(
        QuotaUsedUp(
            organization_id=key.organization_id,
            incident_id=incident_id,
            channel=term.channel,
            category_path=term.category_path,
            per_month=term.allowance or 0,
            used=used,
            month_start=month.start,
            renews_at=month.renews_at,
            renews_on=month.renews_on,
            contract_name=contract.name,
        )
    )


async def count_registration(uow: UnitOfWork, event: IncidentRegistered) -> None:
    """One count per incident, however often the registration is delivered: the claim
    made before filing if there is one (it counted already), else one more unit now."""
    conn = uow.conn
    if await store.use_of(conn, event.incident_id) is not None:
        return
    claim = await store.consume_claim(
        conn, event.incident_id, event.request_id, event.organization_id, event.channel.value
    )
    if claim is not None:
        await store.record_use(
            conn,
            event.incident_id,
            store.key_of(claim),
            event.registered_at,
            claim["answer"]["outcome"] != ACCEPTED,
        )
        return
    contract = version_in_force(await versions(uow, event.organization_id), event.registered_at)
    term = applicable_term(contract.terms, event.channel, event.category_path)
    month = contract_month(event.registered_at, contract.calendar.time_zone)
    key = key_for(event.organization_id, term, month)
    row = await store.lock_count(conn, key)
    # Filed however it was (by staff, or past a refusal the gateway did not ask about),
    # the incident exists: it counts, over quota when the quota is used up.
    decision = decide(term, row["used"], warned=row["warned_at"] is not None)
    if not await store.record_use(
        conn, event.incident_id, key, event.registered_at, decision.over_quota
    ):
        return
    await store.add(conn, key, 1)
    await _tell(uow, key, term, decision, row["used"] + 1, month, contract, event.incident_id)


async def move_on_reclassification(uow: UnitOfWork, event: IncidentReclassified) -> None:
    """A new channel or category: the count moves to the terms the incident now falls
    under, in the month it was registered in."""
    conn = uow.conn
    use = await store.use_of(conn, event.incident_id)
    if use is None:
        return  # not counted yet: the registration counts it as it now is
    channel = event.channel or Channel(use["channel"])
    contract = version_in_force(await versions(uow, use["organization_id"]), use["registered_at"])
    term = applicable_term(contract.terms, channel, event.category_path)
    old = store.key_of(use)
    new = CountKey(old.organization_id, channel.value, term.scope, old.month)
    if new == old:
        return
    rows = {key: await store.lock_count(conn, key) for key in sorted((old, new))}
    await store.add(conn, old, -1)
    row = rows[new]
    decision = decide(term, row["used"], warned=row["warned_at"] is not None)
    await store.add(conn, new, 1)
    await store.move_use(conn, event.incident_id, new, decision.over_quota)
    month = month_of(old.month, contract.calendar.time_zone)
    await _tell(uow, new, term, decision, row["used"] + 1, month, contract, event.incident_id)


async def claim(uow: UnitOfWork, request: ClaimQuota) -> QuotaClaim:
    """Whether a request may be filed. Under `refuse` a granted claim takes its unit
    now, under the count's lock: of two claims racing for the last unit one gets it.
    The same request id gets the same answer again."""
    conn = uow.conn
    await store.lock_request(conn, request.request_id)
    answered = await store.claim_answer(conn, request.request_id)
    if answered is not None:
        return QuotaClaim.model_validate(answered)
    at = request.at or utc_now()
    contract = version_in_force(await versions(uow, request.organization_id), at)
    term = applicable_term(contract.terms, request.channel, request.category_path)
    month = contract_month(at, contract.calendar.time_zone)
    key = key_for(request.organization_id, term, month)
    held = term.policy is QuotaPolicy.REFUSE and term.allowance is not None
    if held:
        row = await store.lock_count(conn, key)
        used = row["used"]
        decision = decide(term, used)
    else:
        used = (await store.counts_of(conn, request.organization_id, month.first)).get(
            (key.channel, key.scope), 0
        )
        decision = decide(term, used)
    holds = held and decision.granted
    if holds:
        await store.add(conn, key, 1)
        used += 1
    answer = QuotaClaim(
        request_id=request.request_id,
        granted=decision.granted,
        outcome=decision.outcome,
        channel=term.channel,
        category_path=term.category_path,
        included=term.included,
        per_month=term.allowance,
        used=used,
        policy=term.policy,
        month_start=month.start,
        renews_at=month.renews_at,
        contract_name=contract.name,
    )
    await store.add_claim(conn, request.request_id, key, holds, answer.model_dump(mode="json"))
    return answer


async def release_stale_claims(conn: asyncpg.Connection) -> int:
    """Claims no registration followed in time give their units back."""
    return len(await store.release_stale_claims(conn, CLAIM_HOLD_SECONDS))


async def clock_start_for(
    uow: UnitOfWork, contract: ContractVersion, event: IncidentRegistered
) -> datetime:
    """When the incident's clocks start: at registration, or at the next opening of
    its channel's hours when it came outside them."""
    term = applicable_term(contract.terms, event.channel, event.category_path)
    if term.calendar_id is None:
        return event.registered_at
    calendars = await uow.remember(
        ("channel calendars", contract.contract_id, contract.version),
        lambda: channel_calendars(uow.conn, contract),
    )
    found = calendars.get(term.calendar_id)
    if found is None:
        return event.registered_at
    return clock_start(event.registered_at, found[1].opening(event.registered_at))


# --- the package as read ---------------------------------------------------------------


async def channel_calendars(
    conn: asyncpg.Connection | asyncpg.Pool, contract: ContractVersion
) -> dict[UUID | None, tuple[str, WorkingCalendar]]:
    """The calendars the package's channel terms name, by id (name and hours)."""
    ids = sorted({term.calendar_id for term in contract.terms if term.calendar_id})
    rows = await contract_store.calendars_by_id(conn, list(ids)) if ids else []
    return {row["id"]: (row["name"], calendar_from_row(row)) for row in rows}


def _terms_shown(contract: ContractVersion) -> list[ChannelTerm]:
    """Every channel: its terms (channel-wide first, then per category), or unlimited."""
    shown: list[ChannelTerm] = []
    for channel in Channel:
        own = sorted(
            (t for t in contract.terms if t.channel is channel),
            key=lambda t: (len(t.category_path), t.category_path),
        )
        shown.extend(own or [unlimited(channel)])
    return shown


async def package(
    conn: asyncpg.Connection | asyncpg.Pool,
    organization_id: UUID,
    at: datetime | None,
) -> PackageView:
    now = at or utc_now()
    contract = version_in_force(await contract_versions_for(conn, organization_id), now)
    month = contract_month(now, contract.calendar.time_zone)
    counts = await store.counts_of(conn, organization_id, month.first)
    calendars = await channel_calendars(conn, contract)
    channels = []
    for term in _terms_shown(contract):
        calendar_id = term.calendar_id or contract.calendar_id
        name, calendar = calendars.get(
            term.calendar_id, (contract.calendar_name, contract.calendar)
        )
        used = counts.get((term.channel.value, term.scope), 0)
        channels.append(
            ChannelPackageView(
                channel=term.channel,
                category_path=term.category_path,
                included=term.included,
                calendar_id=calendar_id,
                calendar_name=name,
                always_open=calendar.always_open,
                hours=calendar.weekly_summary(),
                per_month=term.allowance,
                used=used,
                left=left(term, used),
                policy=term.policy,
            )
        )
    return PackageView(
        organization_id=organization_id,
        contract_id=contract.contract_id,
        contract_name=contract.name,
        contract_version=contract.version,
        time_zone=contract.calendar.time_zone,
        month_start=month.start,
        renews_at=month.renews_at,
        channels=tuple(channels),
    )
