"""Who consumes what: the one place where exchanges, queues and bindings are named.

Services check at start-up that the handlers they register match this table, so the
contract and the code cannot drift apart; tests use it to remove a namespace's queues.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import messages as m
from .envelope import Message, RequestReply

SERVICES = ("intake", "sla", "routing", "notify", "knowledge", "assets", "portal-gateway")

EVENTS_EXCHANGE = "events"
DEAD_LETTER_EXCHANGE = "dead-letters"

# How many times a message may be delivered before the broker dead-letters it.
DELIVERY_LIMIT = 5


SUBSCRIPTIONS: dict[str, tuple[type[Message], ...]] = {
    "intake": (m.UpsertCategory, m.IncidentAssigned, m.DeadlinesSet, m.SeedIncidentHistory),
    "sla": (
        m.IncidentRegistered,
        m.IncidentStatusChanged,
        m.IncidentReclassified,
        m.IncidentAssigned,
        m.EntryAdded,
        m.OrganizationUpserted,
        m.IncidentHistorySeeded,
        m.IncidentRated,
        m.SeedPackage,
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
        m.IncidentHistorySeeded,
        m.SeedPresenceHistory,
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
        m.EquipmentNoticeDue,
        m.IncidentHistorySeeded,
        m.PasswordResetRequested,
        m.IncidentRated,
        m.QuotaUsedUp,
    ),
    "knowledge": (
        m.CategoryUpserted,
        m.IncidentRegistered,
        m.IncidentReclassified,
        m.IncidentStatusChanged,
        m.EntryAdded,
        m.SeedArticle,
        m.IncidentHistorySeeded,
    ),
    "assets": (m.UpsertEquipment,),
    "portal-gateway": (),
}

# What each service answers over request/reply: its queries and its requests.
QUERIES: dict[str, tuple[type[RequestReply[Any]], ...]] = {
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
        m.ClaimQuota,
        m.GetPackage,
        m.ChannelReport,
        m.ListLowRatings,
    ),
    "routing": (
        m.ListAgents,
        m.GetBacklog,
        m.ChangeAgentProfile,
        m.AssignByHand,
        m.ReconcileLoads,
        m.GetStaffing,
        m.ListWaitingClients,
    ),
    "notify": (
        m.GetNotificationPreferences,
        m.SetNotificationPreferences,
        m.ListNotifications,
        m.GetNotification,
        m.RetryNotification,
        m.FindMailThread,
    ),
    "knowledge": (
        m.CreateArticle,
        m.UpdateArticle,
        m.GetArticle,
        m.ListArticles,
        m.ListArticleVersions,
        m.SuggestArticles,
        m.SuggestionFeedback,
        m.KnowledgeReport,
    ),
    "assets": (
        m.ListEquipment,
        m.GetEquipment,
        m.CreateEquipment,
        m.UpdateEquipment,
        m.ImportEquipment,
        m.GetLeadTimes,
        m.SetLeadTimes,
        m.ListEquipmentNotices,
    ),
    "portal-gateway": (),
}

# The answer each one is replied with, as its class declares it (`Query[…]`, `Request[…]`).
REPLIES: dict[type[RequestReply[Any]], type[Message]] = {
    asked: asked.REPLY for answered in QUERIES.values() for asked in answered
}


def exchange_name(namespace: str, exchange: str) -> str:
    return f"{namespace}.{exchange}"


def consumer_queue(namespace: str, service: str, message: type[Message]) -> str:
    return f"{namespace}.{service}.{message.ROUTING_KEY}"


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dead"


def rpc_queue(namespace: str, asked: type[RequestReply[Any]]) -> str:
    return f"{namespace}.rpc.{asked.ROUTING_KEY}"


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
    for service, answered in QUERIES.items():
        for asked in answered:
            yield QueueName(service, rpc_queue(namespace, asked), None)
