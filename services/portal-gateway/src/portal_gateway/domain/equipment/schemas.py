"""Equipment as the API takes and shows it."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from desk_contracts.messages import Day, Interval, LeadDays, Name, Serial
from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewEquipment(_Body):
    """A device of an organization: model, manufacturer and serial number are required;
    the serial number is unique per manufacturer."""

    organization_id: UUID
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


class EquipmentPatch(_Body):
    """Only the fields sent change; a date or the interval sent as null is cleared."""

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


class Equipment(BaseModel):
    id: UUID
    organization_id: UUID
    organization_name: str | None
    model: str
    manufacturer: str
    serial_number: str
    location: str
    installed_on: date | None
    warranty_until: date | None
    service_contract_until: date | None
    maintenance_interval_months: int | None
    last_maintenance_on: date | None
    next_maintenance_on: date | None
    notes: str
    under_warranty: bool
    under_service_contract: bool
    created_at: datetime
    updated_at: datetime


class EquipmentPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[Equipment]


class Notice(BaseModel):
    id: UUID
    kind: str
    kind_name: str
    due_on: date
    days_left: int
    noticed_at: datetime


class Notices(BaseModel):
    equipment_id: UUID
    items: list[Notice]


class RejectedRow(BaseModel):
    line: int
    field: str
    reason: str


class AcceptedRow(BaseModel):
    line: int
    id: UUID
    serial_number: str


class ImportResult(BaseModel):
    organization_id: UUID
    accepted: list[AcceptedRow]
    rejected: list[RejectedRow]


class LeadTimesBody(_Body):
    warranty_days: LeadDays = 30
    contract_days: LeadDays = 60
    maintenance_days: LeadDays = 0


class LeadTimesOut(BaseModel):
    organization_id: UUID
    warranty_days: int
    contract_days: int
    maintenance_days: int
    chosen: bool
