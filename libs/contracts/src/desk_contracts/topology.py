"""Who consumes what: the one place where exchanges, queues and bindings are named.

Services check at start-up that the handlers they register match this table, so the
contract and the code cannot drift apart; tests use it to remove a namespace's queues.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from . import messages as m
from . import staffing as st
from .envelope import Message, Query

SERVICES = ("intake", "sla", "routing", "notify", "portal-gateway")

EVENTS_EXCHANGE = "events"
DEAD_LETTER_EXCHANGE = "dead-letters"

# How many times a message may be delivered before the broker dead-letters it.
DELIVERY_LIMIT = 5


SUBSCRIPTIONS: dict[str, tuple[type[Message], ...]] = {
    "intake": (m.UpsertCategory, m.IncidentAssigned, m.DeadlinesSet),
    "sla": (
        m.IncidentRegistered,
        m.IncidentStatusChanged,
        m.IncidentReclassified,
        m.IncidentAssigned,
        m.EntryAdded,
        m.OrganizationUpserted,
    ),
    "routing": (
        m.UpsertAgentProfile,
        m.UserUpserted,
        m.IncidentRegistered,
        m.IncidentStatusChanged,
        m.IncidentReclassified,
        m.DeadlinesSet,
        m.SlaEscalated,
        m.EntryAdded,
    ),
    "notify": (
        m.UserUpserted,
        m.OrganizationUpserted,
        m.CategoryUpserted,
        m.AgentProfileChanged,
        m.IncidentRegistered,
        m.IncidentAssigned,
        m.IncidentStatusChanged,
        m.IncidentReclassified,
        m.EntryAdded,
        m.DeadlinesSet,
        m.SlaReminderDue,
        m.SlaEscalated,
        m.SlaBreached,
    ),
    "portal-gateway": (),
}

QUERIES: dict[str, tuple[type[Query], ...]] = {
    "intake": (
        m.CreateIncident,
        m.GetIncident,
        m.ListIncidents,
        m.AddEntry,
        m.ChangeStatus,
        m.UpdateIncident,
        m.RateIncident,
        m.CountIncidents,
        m.GetAttachment,
        m.ListCategories,
        m.SaveCategory,
        m.ListIncidentStates,
    ),
    "sla": (
        m.SaveCalendar,
        m.GetCalendar,
        m.ListCalendars,
        m.SaveContract,
        m.GetContract,
        m.ListContracts,
        m.PreviewDeadlines,
        m.GetIncidentSla,
        m.SlaReport,
    ),
    "routing": (
        m.ListAgents,
        m.GetBacklog,
        m.ChangeAgentProfile,
        m.AssignByHand,
        m.ReconcileLoads,
        st.GetStaffing,
        st.ListWaitingClients,
    ),
    "notify": (
        m.GetNotificationPreferences,
        m.SetNotificationPreferences,
        m.ListNotifications,
        m.GetNotification,
        m.RetryNotification,
    ),
    "portal-gateway": (),
}

REPLIES: dict[type[Query], type[Message]] = {
    st.GetStaffing: st.StaffingReport,
    st.ListWaitingClients: st.WaitingClients,
    m.CreateIncident: m.IncidentCreated,
    m.GetIncident: m.IncidentView,
    m.SaveCalendar: m.CalendarView,
    m.GetCalendar: m.CalendarView,
    m.ListCalendars: m.CalendarList,
    m.SaveContract: m.ContractView,
    m.GetContract: m.ContractView,
    m.ListContracts: m.ContractList,
    m.PreviewDeadlines: m.DeadlinePreview,
    m.GetIncidentSla: m.IncidentSla,
    m.SlaReport: m.SlaReportView,
    m.ListIncidents: m.IncidentPage,
    m.AddEntry: m.EntryCreated,
    m.ChangeStatus: m.IncidentView,
    m.UpdateIncident: m.IncidentView,
    m.RateIncident: m.IncidentView,
    m.CountIncidents: m.IncidentCounts,
    m.GetAttachment: m.AttachmentView,
    m.ListCategories: m.CategoryList,
    m.SaveCategory: m.CategoryView,
    m.GetNotificationPreferences: m.NotificationPreferences,
    m.SetNotificationPreferences: m.NotificationPreferences,
    m.ListNotifications: m.NotificationPage,
    m.GetNotification: m.NotificationView,
    m.RetryNotification: m.NotificationView,
    m.ListAgents: m.AgentList,
    m.GetBacklog: m.Backlog,
    m.ChangeAgentProfile: m.AgentView,
    m.AssignByHand: m.AssignmentMade,
    m.ReconcileLoads: m.LoadsReconciled,
    m.ListIncidentStates: m.IncidentStates,
}


def exchange_name(namespace: str, exchange: str) -> str:
    return f"{namespace}.{exchange}"


def consumer_queue(namespace: str, service: str, message: type[Message]) -> str:
    return f"{namespace}.{service}.{message.ROUTING_KEY}"


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dead"


def rpc_queue(namespace: str, query: type[Query]) -> str:
    return f"{namespace}.rpc.{query.ROUTING_KEY}"


@dataclass(frozen=True)
class QueueName:
    service: str
    name: str
    dead_letters: str | None


def all_queues(namespace: str) -> Iterator[QueueName]:
    """Every queue a namespace declares, for operators' views and for clean-up."""
    for service, consumed in SUBSCRIPTIONS.items():
        for message in consumed:
            queue = consumer_queue(namespace, service, message)
            yield QueueName(service, queue, dead_letter_queue(queue))
    for service, queries in QUERIES.items():
        for query in queries:
            yield QueueName(service, rpc_queue(namespace, query), None)
