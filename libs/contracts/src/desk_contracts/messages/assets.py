"""Equipment of client organizations, its warranty and service terms, and the notices
the desk sends by itself about them (SPEC §13): assets owns them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AfterValidator, Field, field_validator

from ..envelope import Command, Event, Message, Query, Request
from .common import Name, Offset, Principal

# The kinds of notice (SPEC §13): warranty ending, service contract ending (with the
# offer to extend), maintenance due.
NOTICE_KINDS = ("warranty_end", "contract_end", "maintenance_due")

# The fields of a device that UpdateEquipment may change.
EQUIPMENT_FIELDS = (
    "model",
    "manufacturer",
    "serial_number",
    "location",
    "installed_on",
    "warranty_until",
    "service_contract_until",
    "maintenance_interval_months",
    "last_maintenance_on",
    "notes",
)

# The longest maintenance interval, in months, and the longest lead time, in days.
MAX_INTERVAL_MONTHS = 120
MAX_LEAD_DAYS = 366
# How many rows one import may carry.
MAX_IMPORT_ROWS = 5000


def _plausible_date(value: date | None) -> date | None:
    if value is not None and not 1970 <= value.year <= 2200:
        raise ValueError("must lie between the years 1970 and 2200")
    return value


def _serial(value: str) -> str:
    """Serial numbers are compared without surrounding space and case-blind."""
    stripped = value.strip().upper()
    if not stripped:
        raise ValueError("must not be blank")
    return stripped


Day = Annotated[date | None, AfterValidator(_plausible_date)]
Serial = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_serial)]
Interval = Annotated[int | None, Field(ge=1, le=MAX_INTERVAL_MONTHS)]
LeadDays = Annotated[int, Field(ge=0, le=MAX_LEAD_DAYS)]


class EquipmentTerms(Message):
    """What a device is and the terms it is kept under: the fields one creates or
    imports (model, manufacturer and serial number are required)."""

    model: Name
    manufacturer: Name
    serial_number: Serial
    location: str = Field(default="", max_length=300)
    installed_on: Day = None
    warranty_until: Day = None
    service_contract_until: Day = None
    maintenance_interval_months: Interval = None
    last_maintenance_on: Day = None
    notes: str = Field(default="", max_length=5000)


class EquipmentView(EquipmentTerms):
    equipment_id: UUID
    organization_id: UUID
    created_at: datetime
    updated_at: datetime
    # Derived on the day asked (`today` in the view): covered, and the next maintenance.
    under_warranty: bool
    under_service_contract: bool
    next_maintenance_on: date | None = None


class EquipmentPage(Message):
    items: tuple[EquipmentView, ...]
    total: int


class ListEquipment(Query[EquipmentPage]):
    """Equipment in the principal's scope (a client: its organization's only), by
    organization, and `q` matched against serial number, model and manufacturer."""

    ROUTING_KEY: ClassVar[str] = "assets.list_equipment"

    principal: Principal
    organization_id: UUID | None = None
    q: str | None = Field(default=None, max_length=200)
    # The devices with exactly this serial number (of any manufacturer).
    serial_number: Serial | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0


class GetEquipment(Query[EquipmentView]):
    """One device; "not found" outside the principal's scope. Its coverage is read on
    `on` (a registration date), else today."""

    ROUTING_KEY: ClassVar[str] = "assets.get_equipment"

    principal: Principal
    equipment_id: UUID
    on: Day = None


class CreateEquipment(Request[EquipmentView]):
    """Records a device of `organization_id`; a retry with the same `equipment_id`
    answers the device it created. A serial number already recorded for the same
    manufacturer is refused (409)."""

    ROUTING_KEY: ClassVar[str] = "assets.create_equipment"

    principal: Principal
    equipment_id: UUID
    organization_id: UUID
    terms: EquipmentTerms


class UpdateEquipment(Request[EquipmentView]):
    """Changes the fields named in `fields` to the values given (a date or the interval
    named and left empty is cleared; model, manufacturer and serial number cannot be);
    the device's notices are re-armed for the new dates."""

    ROUTING_KEY: ClassVar[str] = "assets.update_equipment"

    principal: Principal
    equipment_id: UUID
    fields: tuple[str, ...]
    model: Name | None = None
    manufacturer: Name | None = None
    serial_number: Serial | None = None
    location: str | None = Field(default=None, max_length=300)
    installed_on: Day = None
    warranty_until: Day = None
    service_contract_until: Day = None
    maintenance_interval_months: Interval = None
    last_maintenance_on: Day = None
    notes: str | None = Field(default=None, max_length=5000)

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(value) - set(EQUIPMENT_FIELDS)
        if unknown:
            raise ValueError(f"unknown equipment fields {sorted(unknown)}")
        return value


class UpsertEquipment(Command):
    """Records a device unless `equipment_id` is recorded already (the gateway's demo
    data set sends it once per device; a device changed since is left as it is)."""

    ROUTING_KEY: ClassVar[str] = "assets.equipment.upsert"

    equipment_id: UUID
    organization_id: UUID
    terms: EquipmentTerms


# --- import ---------------------------------------------------------------------------


class ImportRow(Message):
    """One row of an imported list as read: its line in the file and its cells by
    column name (the header's), all text."""

    line: int = Field(ge=1)
    cells: dict[str, str]


class RowRejection(Message):
    """Why a row was not imported: the column at fault and the reason, an English
    phrase whose `{names}` are filled from `values` (the reader's language at the edge)."""

    line: int
    field: str
    reason: str
    values: dict[str, str] = Field(default_factory=dict)


class RowAccepted(Message):
    line: int
    equipment_id: UUID
    serial_number: str


class ImportReport(Message):
    accepted: tuple[RowAccepted, ...]
    rejected: tuple[RowRejection, ...]


class ImportEquipment(Request[ImportReport]):
    """Records the valid rows for `organization_id`, all in one transaction, and
    reports each rejected row with its reason. `import_id` makes a retry answer the
    same report without recording twice."""

    ROUTING_KEY: ClassVar[str] = "assets.import_equipment"

    principal: Principal
    import_id: UUID
    organization_id: UUID
    rows: tuple[ImportRow, ...] = Field(max_length=MAX_IMPORT_ROWS)


# --- service informing ----------------------------------------------------------------


class LeadTimes(Message):
    """Days before a term's end (or a maintenance's due date) that its notice goes out."""

    organization_id: UUID
    warranty_days: LeadDays = 30
    contract_days: LeadDays = 60
    maintenance_days: LeadDays = 0
    chosen: bool = False


class GetLeadTimes(Query[LeadTimes]):
    ROUTING_KEY: ClassVar[str] = "assets.get_lead_times"

    organization_id: UUID


class SetLeadTimes(Request[LeadTimes]):
    """Changes an organization's lead times; every device's notices are re-armed."""

    ROUTING_KEY: ClassVar[str] = "assets.set_lead_times"

    principal: Principal
    organization_id: UUID
    warranty_days: LeadDays = 30
    contract_days: LeadDays = 60
    maintenance_days: LeadDays = 0


class EquipmentNoticeDue(Event):
    """A notice fell due: once per device, kind and due date. Notify tells the
    organization's clients (scope organization) and its account manager."""

    ROUTING_KEY: ClassVar[str] = "equipment.notice_due"

    notice_id: UUID
    equipment_id: UUID
    organization_id: UUID
    kind: str = Field(pattern="^(" + "|".join(NOTICE_KINDS) + ")$")
    due_on: date
    days_left: int
    model: str
    manufacturer: str
    serial_number: str
    location: str = ""
    noticed_at: datetime


class EquipmentNotice(Message):
    notice_id: UUID
    kind: str
    due_on: date
    days_left: int
    noticed_at: datetime


class EquipmentNotices(Message):
    equipment_id: UUID
    items: tuple[EquipmentNotice, ...]


class ListEquipmentNotices(Query[EquipmentNotices]):
    """The notices sent about a device, newest first; "not found" outside the scope."""

    ROUTING_KEY: ClassVar[str] = "assets.list_equipment_notices"

    principal: Principal
    equipment_id: UUID
