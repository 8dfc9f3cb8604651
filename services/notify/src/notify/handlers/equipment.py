"""What the desk tells of a client's equipment by itself (SPEC §13): a warranty or a
service contract ending, a maintenance due. Assets decides when; notify writes the
mails to the organization's clients (scope organization) and its account manager,
each in their own language (templates `<locale>.<kind>.*`, overridable)."""

from __future__ import annotations

from desk_contracts.messages import EquipmentNoticeDue
from desk_runtime.handlers import Handlers
from desk_runtime.service import UnitOfWork

from .. import deliveries, recipients, store

handlers = Handlers()


@handlers.handles(EquipmentNoticeDue)
async def on_equipment_notice(event: EquipmentNoticeDue, uow: UnitOfWork) -> None:
    """One mail per person and notice (the delivery is unique per event, person and
    channel, so a redelivered notice sends nothing more)."""
    people = recipients.on_equipment_notice(
        await store.organization_wide_clients(uow.conn, event.organization_id),
        await store.account_manager_of(uow.conn, event.organization_id),
    )
    await deliveries.queue_equipment_notice(
        uow,
        event.kind,
        people,
        {
            "equipment_id": event.equipment_id,
            "model": event.model,
            "manufacturer": event.manufacturer,
            "serial_number": event.serial_number,
            "location": event.location,
            "due_on": event.due_on.isoformat(),
            "days_left": event.days_left,
        },
    )
