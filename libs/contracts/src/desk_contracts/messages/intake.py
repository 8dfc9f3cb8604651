"""Incidents, their history and the category tree: intake owns them."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import Field, model_validator

from ..enums import Channel, EntryKind, Priority, Role, Status, Visibility
from ..envelope import Command, Event, Message, Query, Request
from .common import CategoryPath, Name, Offset, Principal, Title

# --- the category tree ----------------------------------------------------------------


class UpsertCategory(Command):
    ROUTING_KEY: ClassVar[str] = "intake.category.upsert"

    category_id: UUID
    parent_id: UUID | None = None
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: Name
    colour: str = Field(default="#607d8b", pattern=r"^#[0-9a-fA-F]{6}$")
    escalation_contact_id: UUID | None = None


class CategoryUpserted(Event):
    """Intake applied an UpsertCategory: others keep the tree (names, colours, contacts)."""

    ROUTING_KEY: ClassVar[str] = "category.upserted"

    category_id: UUID
    parent_id: UUID | None = None
    path: CategoryPath
    name: str
    colour: str
    escalation_contact_id: UUID | None = None


class CategoryView(Message):
    category_id: UUID
    parent_id: UUID | None
    code: str
    path: CategoryPath
    name: str
    colour: str
    escalation_contact_id: UUID | None


class CategoryList(Message):
    items: tuple[CategoryView, ...]


class ListCategories(Query[CategoryList]):
    ROUTING_KEY: ClassVar[str] = "intake.list_categories"

    principal: Principal


class SaveCategory(Request[CategoryView]):
    """Admin: create or change a node of the category tree and hear the outcome
    (the seed sends UpsertCategory as a command instead)."""

    ROUTING_KEY: ClassVar[str] = "intake.save_category"

    principal: Principal
    category: UpsertCategory
    create: bool


# --- what happens to incidents --------------------------------------------------------


class IncidentRegistered(Event):
    ROUTING_KEY: ClassVar[str] = "incident.registered"

    incident_id: UUID
    number: str
    title: str
    category_id: UUID
    category_path: CategoryPath
    priority: Priority
    channel: Channel
    requester_id: UUID
    organization_id: UUID
    registered_at: datetime
    # The CreateIncident's request id: the quota claimed before filing is consumed by it.
    request_id: UUID | None = None


class IncidentStatusChanged(Event):
    ROUTING_KEY: ClassVar[str] = "incident.status_changed"

    incident_id: UUID
    number: str
    previous: Status
    status: Status
    changed_at: datetime
    actor_id: UUID | None = None
    assignee_id: UUID | None = None
    requester_id: UUID
    category_path: CategoryPath
    priority: Priority


class IncidentReclassified(Event):
    """Category or priority changed: the SLA recomputes from registration."""

    ROUTING_KEY: ClassVar[str] = "incident.reclassified"

    incident_id: UUID
    category_id: UUID
    category_path: CategoryPath
    priority: Priority
    changed_at: datetime
    actor_id: UUID | None = None
    # A corrected channel (None = unchanged): the quota count moves with it.
    channel: Channel | None = None


class IncidentRated(Event):
    """The requester rated the service after resolution (1–5; a new rating replaces the
    last): reported per channel, agent, category and package; 1–2 tells the group head."""

    ROUTING_KEY: ClassVar[str] = "incident.rated"

    incident_id: UUID
    number: str
    score: int = Field(ge=1, le=5)
    comment: str = ""
    rated_at: datetime
    requester_id: UUID
    organization_id: UUID
    assignee_id: UUID | None = None
    category_path: CategoryPath
    channel: Channel


class EntryAdded(Event):
    """A comment or attachment line was written to the history. Internal ones are
    announced too: every consumer that can reach a client must check `visibility`
    (notify never tells a client). Status, assignment and deadline lines are not
    announced as entries: their changes have events of their own."""

    ROUTING_KEY: ClassVar[str] = "incident.entry_added"

    incident_id: UUID
    number: str
    entry_id: UUID
    kind: EntryKind
    visibility: Visibility
    author_id: UUID | None = None
    author_role: Role | None = None
    text: str
    created_at: datetime
    requester_id: UUID
    organization_id: UUID
    assignee_id: UUID | None = None
    # The knowledge base article (and its version) a public staff reply links.
    article_id: UUID | None = None
    article_version: int | None = None
    # The names of the files the entry carries (none from producers before this field),
    # so a notification lists them in its reader's language.
    files: tuple[str, ...] = ()


# --- incident work and search (request/reply; intake answers) -------------------------


class AttachmentMeta(Message):
    """A file the gateway already stored by content hash, sent with its entry."""

    attachment_id: UUID
    filename: str = Field(min_length=1, max_length=255)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    declared_type: str = Field(max_length=255)
    sniffed_type: str = Field(max_length=255)


class AttachmentView(Message):
    """Metadata of a stored file; the bytes stay in the gateway's blob store."""

    attachment_id: UUID
    entry_id: UUID
    incident_id: UUID
    filename: str
    size: int
    sha256: str
    declared_type: str
    sniffed_type: str
    created_at: datetime


class EntryView(Message):
    entry_id: UUID
    kind: EntryKind
    visibility: Visibility
    author_id: UUID | None
    text: str
    created_at: datetime
    author_role: Role | None = None
    attachments: tuple[AttachmentView, ...] = ()
    # The knowledge base article (and its version) a public staff reply links.
    article_id: UUID | None = None
    article_version: int | None = None
    # A system line as facts ({"line": "status", "from": …, "to": …}), for wording it in
    # the reader's language; None for people's words and for lines older than facts.
    facts: dict[str, str] | None = None


class IncidentEquipment(Message):
    """The device an incident names, and whether it was under warranty and a service
    contract on the incident's registration date: kept with the incident as it was
    then, whatever the device's terms become (SPEC §13)."""

    equipment_id: UUID
    manufacturer: str
    model: str
    serial_number: str
    under_warranty: bool
    under_service_contract: bool


class IncidentListItem(Message):
    """An incident as a list shows it; its view adds the rest."""

    incident_id: UUID
    number: str
    title: str
    category_id: UUID
    category_path: CategoryPath
    priority: Priority
    channel: Channel
    status: Status
    requester_id: UUID
    organization_id: UUID
    assignee_id: UUID | None
    response_due: datetime | None
    resolution_due: datetime | None
    created_at: datetime
    updated_at: datetime


class IncidentView(IncidentListItem):
    description: str
    entries: tuple[EntryView, ...] = ()
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    rating: int | None = None
    rating_comment: str | None = None
    # Where the asker may move the incident now (staff; a client's buttons are its own).
    allowed_statuses: tuple[Status, ...] = ()
    equipment: IncidentEquipment | None = None


class IncidentCreated(Message):
    incident_id: UUID
    number: str


class CreateIncident(Request[IncidentCreated]):
    """Registers an incident; `request_id` makes a retried request return the same one."""

    ROUTING_KEY: ClassVar[str] = "intake.create_incident"

    request_id: UUID
    principal: Principal
    requester_id: UUID
    organization_id: UUID
    title: Title
    description: str = Field(default="", max_length=1_000_000)
    category_id: UUID
    priority: Priority = Priority.NORMAL
    channel: Channel = Channel.API
    # Files filed with the incident (stored by the gateway already) form its first entry.
    attachments: tuple[AttachmentMeta, ...] = Field(default=(), max_length=20)
    equipment: IncidentEquipment | None = None
    # The mail it came as (an `.eml` the gateway stored), kept on an internal entry of
    # its own: staff can read the original, clients never see it.
    original: AttachmentMeta | None = None


class GetIncident(Query[IncidentView]):
    ROUTING_KEY: ClassVar[str] = "intake.get_incident"

    principal: Principal
    incident_id: UUID


class GetAttachment(Query[AttachmentView]):
    ROUTING_KEY: ClassVar[str] = "intake.get_attachment"

    principal: Principal
    attachment_id: UUID


INCIDENT_SORTS = ("created", "-created", "updated", "-updated", "due", "-due")


class IncidentPage(Message):
    # Counted exactly up to a cap; beyond it `total` is the cap and `total_exact` false
    # ("10,000+"): an exact count of a huge match set costs more than the page itself.
    total: int
    items: tuple[IncidentListItem, ...]
    total_exact: bool = True


class ListIncidents(Query[IncidentPage]):
    """A page of the incidents the principal may see; `q` searches title, description
    and the entries the principal may read (Russian and English stemming)."""

    ROUTING_KEY: ClassVar[str] = "intake.list_incidents"

    principal: Principal
    statuses: tuple[Status, ...] = ()
    category_id: UUID | None = None
    priorities: tuple[Priority, ...] = ()
    assignee_id: UUID | None = None
    unassigned: bool = False
    organization_id: UUID | None = None
    # The incidents naming this device.
    equipment_id: UUID | None = None
    # One incident by its number (INC-000123), as a mail's subject names it.
    number: str | None = Field(default=None, pattern=r"^INC-\d{6,12}$")
    q: str | None = Field(default=None, max_length=500)
    overdue: bool | None = None
    sort: str = Field(default="-created", pattern="^(" + "|".join(INCIDENT_SORTS) + ")$")
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0


class EntryCreated(Message):
    entry_id: UUID
    incident_id: UUID
    status: Status


class AddEntry(Request[EntryCreated]):
    """A history line by the principal (+ files); a client's reply to an incident that
    waits on it moves it back to in_progress. `request_id` makes a retry harmless."""

    ROUTING_KEY: ClassVar[str] = "intake.add_entry"

    request_id: UUID
    principal: Principal
    incident_id: UUID
    text: str = Field(max_length=1_000_000)
    visibility: Visibility | None = None
    attachments: tuple[AttachmentMeta, ...] = Field(default=(), max_length=20)
    # The mail a reply came as (`.eml`), kept on an internal entry beside the reply.
    original: AttachmentMeta | None = None
    # A public staff reply may link a knowledge base article (the gateway checked it is
    # public and published, and names the version it read).
    article_id: UUID | None = None
    article_version: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _version_with_article(self) -> AddEntry:
        if (self.article_id is None) != (self.article_version is None):
            raise ValueError("article_id and article_version go together")
        return self


class ChangeStatus(Request[IncidentView]):
    ROUTING_KEY: ClassVar[str] = "intake.change_status"

    principal: Principal
    incident_id: UUID
    status: Status
    reason: str = Field(default="", max_length=10_000)


class UpdateIncident(Request[IncidentView]):
    """Staff change title, category, priority or the channel the request came by;
    category/priority/channel announce a reclassification so the SLA recomputes (and
    the quota count moves to the channel now named)."""

    ROUTING_KEY: ClassVar[str] = "intake.update_incident"

    principal: Principal
    incident_id: UUID
    title: Title | None = None
    category_id: UUID | None = None
    priority: Priority | None = None
    channel: Channel | None = None


class RateIncident(Request[IncidentView]):
    ROUTING_KEY: ClassVar[str] = "intake.rate_incident"

    principal: Principal
    incident_id: UUID
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=10_000)


class IncidentCount(Message):
    category_id: UUID
    category_path: CategoryPath
    priority: Priority
    status: Status
    count: int


class IncidentCounts(Message):
    total: int
    groups: tuple[IncidentCount, ...]


class CountIncidents(Query[IncidentCounts]):
    """Staff's tree: counts by category × priority × status."""

    ROUTING_KEY: ClassVar[str] = "intake.count_incidents"

    principal: Principal
    organization_id: UUID | None = None


# --- intake's truth for routing's reconciliation --------------------------------------

# At most this many incidents in one page of intake's open incidents.
MAX_STATE_PAGE = 5000


class IncidentState(Message):
    incident_id: UUID
    status: Status
    assignee_id: UUID | None = None
    # When the assignment intake records was made (routing's decision time).
    assigned_at: datetime | None = None
    category_path: CategoryPath
    priority: Priority
    registered_at: datetime


class IncidentStates(Message):
    items: tuple[IncidentState, ...]
    # The cursor of the next page of open incidents; None on the last one.
    next_after: UUID | None = None


class ListIncidentStates(Query[IncidentStates]):
    """Intake's truth for routing's reconciliation: the open incidents in id order after
    `after` (keyset paging), or, with `incident_ids`, the named ones whatever their state
    (unknown ids are left out of the answer)."""

    ROUTING_KEY: ClassVar[str] = "intake.list_incident_states"

    after: UUID | None = None
    incident_ids: tuple[UUID, ...] | None = Field(default=None, max_length=MAX_STATE_PAGE)
    limit: int = Field(default=1000, ge=1, le=MAX_STATE_PAGE)


# --- the demo month (DESK_DEMO=1) -----------------------------------------------------
# Back-dated history each service writes into its own tables by its own rules: the
# gateway plans it and sends intake the incidents; intake writes them with their history
# lines and announces what it wrote (with the numbers it drew), as no live change, so no
# mail goes out; sla, routing, notify and knowledge keep their facts of it. Every seeded
# incident is closed, so no clock is left running.

MAX_SEEDED_PER_MESSAGE = 100


class SeededEntry(Message):
    """A comment of the seeded history (public or internal), by staff or the client."""

    at: datetime
    author_id: UUID
    author_role: Role
    visibility: Visibility = Visibility.PUBLIC
    text: str = Field(min_length=1, max_length=2000)


class SeededChange(Message):
    """A status change of the seeded history."""

    at: datetime
    previous: Status
    status: Status
    actor_id: UUID | None = None


class SeededRating(Message):
    at: datetime
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)


class SeededIncident(Message):
    """One incident of the demo month as it happened: registered, assigned, answered,
    worked and resolved (or closed), in that order of times."""

    incident_id: UUID
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=4000)
    category_id: UUID
    priority: Priority
    channel: Channel
    requester_id: UUID
    organization_id: UUID
    registered_at: datetime
    assignee_id: UUID
    assigned_at: datetime
    entries: tuple[SeededEntry, ...] = ()
    changes: tuple[SeededChange, ...] = Field(min_length=1)
    rating: SeededRating | None = None


class HistoricIncident(SeededIncident):
    """A seeded incident as intake wrote it: with its number and category path."""

    number: str
    category_path: CategoryPath

    def registration(self) -> IncidentRegistered:
        """The registration it had: what services that keep incidents' facts read."""
        return IncidentRegistered(
            incident_id=self.incident_id,
            number=self.number,
            title=self.title,
            category_id=self.category_id,
            category_path=self.category_path,
            priority=self.priority,
            channel=self.channel,
            requester_id=self.requester_id,
            organization_id=self.organization_id,
            registered_at=self.registered_at,
        )


class SeedIncidentHistory(Command):
    """Write these past incidents once each (an id that exists is left as it is)."""

    ROUTING_KEY: ClassVar[str] = "intake.history.seed"

    incidents: tuple[SeededIncident, ...] = Field(max_length=MAX_SEEDED_PER_MESSAGE)


class IncidentHistorySeeded(Event):
    """Intake wrote these past incidents: each service keeps its facts of them."""

    ROUTING_KEY: ClassVar[str] = "incident.history_seeded"

    incidents: tuple[HistoricIncident, ...] = Field(max_length=MAX_SEEDED_PER_MESSAGE)
