"""The package use cases: the claim asked before an incident is filed (a refused one
stops the filing with a 409 naming the channel, the quota and when it renews, before
anything is written), and the package as a client or staff member reads it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5
from zoneinfo import ZoneInfo

from desk_contracts.enums import Channel
from desk_contracts.messages import (
    CategoryList,
    ChannelPackageView,
    ClaimQuota,
    GetPackage,
    ListCategories,
    PackageView,
    Principal,
    QuotaClaim,
)
from desk_runtime.rpc import RemoteFailure, RpcClient
from litestar.exceptions import HTTPException
from pydantic import BaseModel

Translate = Callable[..., str]

CHANNEL_NAMES = {
    Channel.PHONE: "phone",
    Channel.EMAIL: "e-mail",
    Channel.PORTAL: "portal",
    Channel.API: "API",
    Channel.ONSITE: "on-site visit",
    Channel.CHAT: "chat",
}


def filing_request_id(user_id: UUID, idempotency_key: UUID | None) -> UUID:
    """The request id of a filing: derived from the Idempotency-Key (a retry files
    once, and claims once), mixed with the user; a fresh one without a key. The same
    id goes on the CreateIncident, whose registration then consumes the claim."""
    if idempotency_key is None:
        return uuid4()
    return uuid5(NAMESPACE_URL, f"incident:{user_id}:{idempotency_key}")


# Category paths the gateway has read from intake, with when: a filing asks intake for
# the whole tree only when the category is new to it or its path is older than this.
PATH_MAX_AGE_SECONDS = 60.0
_paths: dict[UUID, tuple[tuple[str, ...], float]] = {}


async def category_path_of(
    client: RpcClient, principal: Principal, category_id: UUID
) -> tuple[str, ...]:
    """The codes from the root of the category a request is filed under (a quota may
    cover a subtree); () for one intake does not know (its filing then fails there)."""
    known = _paths.get(category_id)
    if known is not None and time.monotonic() - known[1] < PATH_MAX_AGE_SECONDS:
        return known[0]
    categories = await client.ask_as(ListCategories(principal=principal), CategoryList)
    now = time.monotonic()
    for category in categories.items:
        _paths[category.category_id] = (category.path, now)
    return next((c.path for c in categories.items if c.category_id == category_id), ())


def renewal_day(renews_at: datetime, time_zone: str) -> str:
    """The local date the quota renews on, as the contract's calendar reads it."""
    return renews_at.astimezone(ZoneInfo(time_zone)).date().isoformat()


class QuotaRefused(HTTPException):
    """409: the channel's quota is used up and the package refuses more this month."""

    status_code = 409


def refusal(claim: QuotaClaim, time_zone: str, t: Translate) -> QuotaRefused:
    channel = t(CHANNEL_NAMES[claim.channel])
    if not claim.included:
        message = t("The {channel} channel is not included in your package.", channel=channel)
    else:
        message = t(
            "The {channel} quota of {quota} requests a month is used up ({used} of {quota});"
            " it renews on {renews}.",
            channel=channel,
            quota=claim.per_month,
            used=claim.used,
            renews=renewal_day(claim.renews_at, time_zone),
        )
    return QuotaRefused(
        detail=message,
        extra=[{"key": "channel", "message": message}],
    )


async def claim_before_filing(
    client: RpcClient,
    *,
    request_id: UUID,
    organization_id: UUID,
    channel: Channel,
    category_path: tuple[str, ...],
    t: Translate,
) -> QuotaClaim:
    """Asked before CreateIncident with the same `request_id`: the claim's answer, or
    QuotaRefused (nothing is written anywhere) when the quota is used up under the
    policy `refuse`. A retry with the same id gets the same answer."""
    claim = await client.ask_as(
        ClaimQuota(
            request_id=request_id,
            organization_id=organization_id,
            channel=channel,
            category_path=category_path,
        ),
        QuotaClaim,
    )
    if not claim.granted:
        package = await client.ask_as(GetPackage(organization_id=organization_id), PackageView)
        raise refusal(claim, package.time_zone, t)
    return claim


# --- the package as read --------------------------------------------------------------


class ChannelPackage(BaseModel):
    channel: Channel
    name: str
    category_path: list[str]
    included: bool
    hours: str
    calendar_name: str
    always_open: bool
    per_month: int | None
    used: int
    left: int | None
    policy: str
    summary: str


class Package(BaseModel):
    organization_id: UUID
    contract_id: UUID
    contract_name: str
    contract_version: int
    time_zone: str
    month_start: datetime
    renews_at: datetime
    renews_on: str
    channels: list[ChannelPackage]


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hours_words(week: str, t: Translate) -> str:
    """sla's neutral week ("1-5 09:00-18:00; 6 10:00-14:00", ISO weekdays) in the
    reader's words: "Mon-Fri 09:00-18:00; Sat 10:00-14:00"."""
    if week == "24/7":
        return t("24/7")
    parts = []
    for group in filter(None, (g.strip() for g in week.split(";"))):
        days, _, windows = group.partition(" ")
        try:
            named = "-".join(t(WEEKDAYS[int(day) - 1]) for day in days.split("-"))
        except (ValueError, IndexError):
            named = days
        parts.append(f"{named} {windows.replace(',', ', ')}".strip())
    return "; ".join(parts) or t("no opening hours")


def summary(view: ChannelPackageView, renews_on: str, t: Translate) -> str:
    """ "15 of 15 used, renews on 2027-01-01", in the reader's language."""
    if not view.included:
        return t("not included")
    if view.per_month is None:
        return t("unlimited; {used} this month", used=view.used)
    return t(
        "{used} of {quota} used, renews on {renews}",
        used=view.used,
        quota=view.per_month,
        renews=renews_on,
    )


def package_out(view: PackageView, t: Translate) -> Package:
    renews_on = renewal_day(view.renews_at, view.time_zone)
    return Package(
        organization_id=view.organization_id,
        contract_id=view.contract_id,
        contract_name=view.contract_name,
        contract_version=view.contract_version,
        time_zone=view.time_zone,
        month_start=view.month_start,
        renews_at=view.renews_at,
        renews_on=renews_on,
        channels=[
            ChannelPackage(
                channel=c.channel,
                name=t(CHANNEL_NAMES[c.channel]),
                category_path=list(c.category_path),
                included=c.included,
                hours=t("24/7") if c.always_open else hours_words(c.hours, t),
                calendar_name=c.calendar_name,
                always_open=c.always_open,
                per_month=c.per_month,
                used=c.used,
                left=c.left,
                policy=c.policy.value,
                summary=summary(c, renews_on, t),
            )
            for c in view.channels
        ],
    )


async def package_of(client: RpcClient, organization_id: UUID, t: Translate) -> Package:
    view = await client.ask_as(GetPackage(organization_id=organization_id), PackageView)
    return package_out(view, t)


async def package_if_known(
    client: RpcClient, organization_id: UUID | None, t: Translate
) -> Package | None:
    """The package shown beside a page's own content: None when there is no
    organization or sla cannot tell now (the page is shown without it)."""
    if organization_id is None:
        return None
    try:
        return await package_of(client, organization_id, t)
    except RemoteFailure:
        return None
