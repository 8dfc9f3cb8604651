"""The facts notify keeps to address people and word messages: contact points, account
managers, escalation contacts, group heads, due times, category and priority."""

from __future__ import annotations

from desk_contracts.messages import (
    AgentProfileChanged,
    CategoryUpserted,
    DeadlinesSet,
    IncidentReclassified,
    OrganizationUpserted,
    UserUpserted,
)
from desk_runtime.handlers import Handlers
from desk_runtime.service import UnitOfWork

from .. import store

handlers = Handlers()


@handlers.handles(UserUpserted)
async def on_user(event: UserUpserted, uow: UnitOfWork) -> None:
    """Keeps the contact point (e-mail, phone, locale) of every user; what waited
    for it is sent now."""
    await store.save_contact(uow.conn, event)
    uow.arrived(store.CONTACT, event.user_id)


@handlers.handles(OrganizationUpserted)
async def on_organization(event: OrganizationUpserted, uow: UnitOfWork) -> None:
    """Keeps each organization's account manager, who hears of its reminders."""
    await store.save_organization(uow.conn, event)


@handlers.handles(CategoryUpserted)
async def on_category(event: CategoryUpserted, uow: UnitOfWork) -> None:
    """Keeps the category tree's escalation contacts."""
    await store.save_category(uow.conn, event)


@handlers.handles(AgentProfileChanged)
async def on_agent(event: AgentProfileChanged, uow: UnitOfWork) -> None:
    """Keeps each agent's group head, who hears of escalations and breaches."""
    await store.save_agent(uow.conn, event)


@handlers.handles(DeadlinesSet)
async def on_deadlines(event: DeadlinesSet, uow: UnitOfWork) -> None:
    """Keeps the due times that the messages quote, the latest computation's (two
    announcements may arrive swapped)."""
    applied = await store.change_deadlines(
        uow.conn,
        event.incident_id,
        event.response_due,
        event.resolution_due,
        event.computed_at,
        event.time_zone,
    )
    if not applied:
        await store.overtaken(
            uow.conn, event.incident_id, "deadlines_computed_at", event.computed_at
        )


@handlers.handles(IncidentReclassified)
async def on_reclassified(event: IncidentReclassified, uow: UnitOfWork) -> None:
    """Keeps category and priority, which choose the escalation contact."""
    await store.change_incident(
        uow.conn,
        event.incident_id,
        "category_id = $2, category_path = $3, priority = $4",
        event.category_id,
        list(event.category_path),
        event.priority.value,
    )
