"""Vocabulary shared by every service: the closed sets of values the SPEC names."""

from enum import StrEnum


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 is the most urgent; used to order backlogs and lists."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CLIENT = "waiting_on_client"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        """Open incidents count towards an agent's load."""
        return self not in (Status.RESOLVED, Status.CLOSED)


class Role(StrEnum):
    CLIENT = "client"
    AGENT = "agent"
    MANAGER = "manager"
    HEAD = "head"
    ADMIN = "admin"
    OPERATOR = "operator"  # keeps the desk running: queues, dead letters, health

    @property
    def is_staff(self) -> bool:
        return self is not Role.CLIENT


class Scope(StrEnum):
    OWN = "own"
    ORGANIZATION = "organization"


class Locale(StrEnum):
    RU = "ru"
    EN = "en"


class Channel(StrEnum):
    """The support channel a request came by (SPEC §12); staff record phone, on-site
    and chat requests with theirs."""

    PORTAL = "portal"
    API = "api"
    EMAIL = "email"
    PHONE = "phone"
    ONSITE = "onsite"
    CHAT = "chat"


class QuotaPolicy(StrEnum):
    """What a used-up quota does to the next request of its channel."""

    ACCEPT = "accept"  # accepted, marked over quota (billable)
    WARN = "warn"  # accepted, over quota; the account manager is told once a month
    REFUSE = "refuse"  # rejected before anything is written


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class EntryKind(StrEnum):
    COMMENT = "comment"
    STATUS = "status"
    ASSIGNMENT = "assignment"
    DEADLINE = "deadline"
    ATTACHMENT = "attachment"
    SYSTEM = "system"


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"
