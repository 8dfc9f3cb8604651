"""Packages (SPEC §12): every registered incident counts against its organization's
quota for its channel, a reclassification moves the count, claims asked before filing
are answered and, when no registration follows, released; the package as read."""

from __future__ import annotations

from desk_contracts.messages import (
    ClaimQuota,
    GetPackage,
    IncidentReclassified,
    IncidentRegistered,
    PackageView,
    QuotaClaim,
)
from desk_runtime.errors import NotFound
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service, UnitOfWork

from .. import quotas, views

handlers = Handlers()

# How often the claims no registration followed are looked for.
SWEEP_SECONDS = 30.0


@handlers.handles(IncidentRegistered)
async def count_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
    """One unit of the organization's quota for the incident's channel and month (the
    claim made before filing, when there is one)."""
    await quotas.count_registration(uow, event)


@handlers.handles(IncidentReclassified)
async def move_count(event: IncidentReclassified, uow: UnitOfWork) -> None:
    """A corrected channel or category moves the unit to the terms now applying."""
    await quotas.move_on_reclassification(uow, event)


@handlers.answers(ClaimQuota)
async def answer_claim(request: ClaimQuota, service: Service) -> QuotaClaim:
    """Asked by the gateway before filing: granted, or refused naming the quota."""
    if request.at is not None:
        views.aware(request.at, "at")
    try:
        async with service.transaction() as uow:
            return await quotas.claim(uow, request)
    except LookupError as error:
        raise NotFound(str(error)) from None


@handlers.answers(GetPackage)
async def answer_package(request: GetPackage, service: Service) -> PackageView:
    """The organization's channels, hours and quota used and left this month."""
    at = views.aware(request.at, "at") if request.at is not None else None
    try:
        return await quotas.package(service.pool, request.organization_id, at)
    except LookupError as error:
        raise NotFound(str(error)) from None


@handlers.every(SWEEP_SECONDS)
async def release_claims(service: Service) -> None:
    """Units held by claims no registration followed give themselves back."""
    async with service.transaction() as uow:
        await quotas.release_stale_claims(uow.conn)
