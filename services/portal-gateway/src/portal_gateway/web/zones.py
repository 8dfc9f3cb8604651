"""The zone a page shows times in: the reader's own choice, else their organization's
calendar zone (its contract's, asked of sla and kept a few minutes), else the desk's
(`DESK_TIME_ZONE`). Formatting itself is `desk_runtime.local_time`, for every surface."""

from __future__ import annotations

import time
from uuid import UUID

from desk_contracts.messages import GetPackage, PackageView
from desk_runtime.logging import get_logger
from desk_runtime.rpc import RemoteFailure, RpcClient, ServiceUnavailable

from ..accounts import User

log = get_logger(__name__)

# An organization's calendar zone is asked again after this long (a changed calendar
# shows within it); an answer sla could not give is asked again sooner.
ZONE_MAX_AGE_SECONDS = 300.0
UNKNOWN_MAX_AGE_SECONDS = 30.0
# A page does not wait long for it: the desk's zone is a fine answer meanwhile.
ASK_SECONDS = 1.0
_zones: dict[UUID, tuple[str | None, float]] = {}


async def organization_zone(client: RpcClient, organization_id: UUID) -> str | None:
    """The zone of the organization's contract calendar; None without a contract, or
    while sla cannot say (the page then shows the desk's zone, never an error)."""
    known = _zones.get(organization_id)
    now = time.monotonic()
    if known is not None and now < known[1]:
        return known[0]
    zone: str | None = None
    max_age = ZONE_MAX_AGE_SECONDS
    try:
        package = await client.ask_as(
            GetPackage(organization_id=organization_id), PackageView, timeout=ASK_SECONDS
        )
        zone = package.time_zone
    except RemoteFailure as failure:  # no contract (404) or a refusal: the desk's zone
        if failure.failure.status >= 500:
            max_age = UNKNOWN_MAX_AGE_SECONDS
    except (ServiceUnavailable, TimeoutError, ConnectionError) as error:
        log.warning("organization_zone_unknown", error=repr(error))
        max_age = UNKNOWN_MAX_AGE_SECONDS
    _zones[organization_id] = (zone, now + max_age)
    return zone


async def default_zone(client: RpcClient, user: User, desk_zone: str) -> str:
    """The zone the user reads times in when they chose none."""
    if user.organization_id is not None:
        zone = await organization_zone(client, user.organization_id)
        if zone:
            return zone
    return desk_zone
