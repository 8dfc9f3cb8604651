"""Service informing's settings: an organization's lead times, read and changed (a
change re-arms every device of the organization). The timers themselves fire in
`assets.informing`."""

from __future__ import annotations

from desk_contracts.enums import Role
from desk_contracts.messages import GetLeadTimes, LeadTimes, SetLeadTimes
from desk_runtime.errors import Forbidden
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service

from .. import informing, store

handlers = Handlers()

# Who sets an organization's lead times: those who keep its contract.
SETTERS = frozenset({Role.ADMIN, Role.MANAGER, Role.HEAD})


@handlers.answers(GetLeadTimes)
async def answer_lead_times(query: GetLeadTimes, service: Service) -> LeadTimes:
    return await store.lead_times(service.pool, query.organization_id)


@handlers.answers(SetLeadTimes)
async def answer_set_lead_times(request: SetLeadTimes, service: Service) -> LeadTimes:
    if request.principal.role not in SETTERS:
        raise Forbidden("managers, heads and admins only")
    lead = LeadTimes(
        organization_id=request.organization_id,
        warranty_days=request.warranty_days,
        contract_days=request.contract_days,
        maintenance_days=request.maintenance_days,
        chosen=True,
    )
    async with service.transaction() as uow:
        await store.set_lead_times(uow.conn, lead)
        await informing.rearm_organization(uow.conn, lead)
    return lead
