"""SLA handlers: deadlines for each registered incident, from its contract."""

from __future__ import annotations

from pathlib import Path

from desk_contracts import utc_now
from desk_contracts.messages import DeadlinesSet, IncidentRegistered
from desk_runtime.service import Service, UnitOfWork

from .contracts import contract_for
from .domain import DeadlineInput, compute_deadlines, select_rule

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def register(service: Service) -> None:
    @service.handles(IncidentRegistered)
    async def on_registered(event: IncidentRegistered, uow: UnitOfWork) -> None:
        """Picks the contract version and the most specific target, computes both due
        times in business time and keeps the protocol of the computation."""
        contract = await contract_for(uow.conn, event.organization_id)
        rule = select_rule(contract.rules, event.category_path, event.priority)
        if rule is None:
            raise LookupError(f"contract {contract.name} has no rule for this incident")
        deadlines = compute_deadlines(
            DeadlineInput(
                registered_at=event.registered_at,
                calendar=contract.calendar,
                calendar_name=contract.calendar_name,
                rule=rule,
                contract_name=contract.name,
                contract_version=contract.version,
                category_path=event.category_path,
                priority=event.priority,
            )
        )
        computed_at = utc_now()
        await uow.conn.execute(
            """
            INSERT INTO incident_clocks (incident_id, organization_id, contract_id,
                contract_version, registered_at, category_path, priority, response_due,
                resolution_due, reminder_at, paused_seconds, protocol, computed_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            """,
            event.incident_id,
            event.organization_id,
            contract.contract_id,
            contract.version,
            event.registered_at,
            list(event.category_path),
            event.priority.value,
            deadlines.response_due,
            deadlines.resolution_due,
            deadlines.reminder_at,
            deadlines.paused_business.total_seconds(),
            [{"code": s.code, "params": dict(s.params)} for s in deadlines.steps],
            computed_at,
        )
        await uow.publish(
            DeadlinesSet(
                incident_id=event.incident_id,
                contract_id=contract.contract_id,
                contract_name=contract.name,
                contract_version=contract.version,
                response_due=deadlines.response_due,
                resolution_due=deadlines.resolution_due,
                computed_at=computed_at,
            )
        )
