"""Package quotas (SPEC §12), pure: the contract month of an instant in the calendar's
time zone, when the quota renews, which channel terms apply to a request, and what a
count comes to under the terms' policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from desk_contracts.enums import Channel, QuotaPolicy

from .calendar import ensure_aware

_SECOND = timedelta(seconds=1)
# Wider than any UTC offset the zone database knows (±14 h and the odd historic extra).
_SEARCH = timedelta(hours=30)

ACCEPTED = "accepted"
OVER_QUOTA = "over_quota"
WARNED = "warned"
REFUSED = "refused"


@dataclass(frozen=True)
class ContractMonth:
    """The contract month [start, end) in UTC, and the local month it is: `first` is
    its first day in the calendar's time zone (the key counts are kept under)."""

    first: date
    start: datetime
    end: datetime

    @property
    def renews_at(self) -> datetime:
        return self.end

    @property
    def renews_on(self) -> date:
        """The local day the quota renews on: the next month's first."""
        return _next_month(self.first)


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _month_first(day: date) -> date:
    return day.replace(day=1)


def _next_month(first: date) -> date:
    return date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)


def month_start(first: date, zone: ZoneInfo) -> datetime:
    """The first instant whose local date is on or after `first`: local midnight, or,
    where a clock change skips midnight, the instant the clocks jump."""
    midnight = datetime(first.year, first.month, first.day)
    # Every instant within _SEARCH before local midnight is still on an earlier day;
    # every instant within _SEARCH after it is on `first` or later. Bisect in seconds
    # (clock changes fall on whole seconds).
    low = (midnight - _SEARCH).replace(tzinfo=UTC)
    high = (midnight + _SEARCH).replace(tzinfo=UTC)
    while high - low > _SECOND:
        middle = low + (high - low) // 2
        middle = middle.replace(microsecond=0)
        if _local(middle, zone) >= midnight:
            high = middle
        else:
            low = middle
    return high


def contract_month(instant: datetime, time_zone: str) -> ContractMonth:
    """The month of the contract's calendar that `instant` falls in."""
    aware = ensure_aware(instant, "instant")
    zone = ZoneInfo(time_zone)
    first = _month_first(_local(aware, zone).date())
    return ContractMonth(
        first=first,
        start=month_start(first, zone),
        end=month_start(_next_month(first), zone),
    )


def month_of(first: date, time_zone: str) -> ContractMonth:
    """The contract month whose first local day is `first`."""
    zone = ZoneInfo(time_zone)
    return ContractMonth(
        first=first, start=month_start(first, zone), end=month_start(_next_month(first), zone)
    )


@dataclass(frozen=True)
class ChannelTerm:
    """A package's terms for a channel (and category subtree); `per_month` None is
    unlimited; a channel not included allows nothing."""

    channel: Channel
    category_path: tuple[str, ...] = ()
    included: bool = True
    calendar_id: UUID | None = None
    per_month: int | None = None
    policy: QuotaPolicy = QuotaPolicy.ACCEPT

    @property
    def allowance(self) -> int | None:
        """How many requests a month the terms allow (None: no limit)."""
        return self.per_month if self.included else 0

    @property
    def scope(self) -> str:
        """The key a count is kept under: the category subtree, "" for the channel."""
        return "/".join(self.category_path)


def unlimited(channel: Channel) -> ChannelTerm:
    """The terms of a channel the contract says nothing of."""
    return ChannelTerm(channel=channel)


def applicable_term(
    terms: tuple[ChannelTerm, ...], channel: Channel, category_path: tuple[str, ...]
) -> ChannelTerm:
    """The terms of the channel whose category subtree holds the request most
    specifically; the channel's own terms without a match; unlimited without either."""
    best: ChannelTerm | None = None
    for term in terms:
        if term.channel is not channel:
            continue
        depth = len(term.category_path)
        if tuple(category_path[:depth]) != term.category_path:
            continue
        if best is None or depth > len(best.category_path):
            best = term
    return best if best is not None else unlimited(channel)


@dataclass(frozen=True)
class Decision:
    """What one more request does under the terms: `counted` whether it takes a unit,
    `over_quota` whether it is beyond the allowance, `tell` whether the account manager
    must hear of it now (the first over a `warn` quota in the month)."""

    outcome: str
    counted: bool
    over_quota: bool
    tell: bool

    @property
    def granted(self) -> bool:
        return self.outcome != REFUSED


def decide(term: ChannelTerm, used: int, *, warned: bool = False) -> Decision:
    """The next request when `used` requests of the month already count against the
    terms (`warned`: the account manager was told this month already)."""
    if used < 0:
        raise ValueError("used must not be negative")
    allowance = term.allowance
    if allowance is None or used < allowance:
        return Decision(ACCEPTED, counted=True, over_quota=False, tell=False)
    if term.policy is QuotaPolicy.REFUSE:
        return Decision(REFUSED, counted=False, over_quota=True, tell=False)
    if term.policy is QuotaPolicy.WARN:
        return Decision(WARNED, counted=True, over_quota=True, tell=not warned)
    return Decision(OVER_QUOTA, counted=True, over_quota=True, tell=False)


def left(term: ChannelTerm, used: int) -> int | None:
    """Units left this month (None: unlimited)."""
    allowance = term.allowance
    return None if allowance is None else max(allowance - used, 0)


def clock_start(registered_at: datetime, opening: datetime | None) -> datetime:
    """When an incident's clocks start: at registration, or at the channel's next
    opening when it came outside the channel's hours."""
    if opening is None or opening <= registered_at:
        return registered_at
    return opening
