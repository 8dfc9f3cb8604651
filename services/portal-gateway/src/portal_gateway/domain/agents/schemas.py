"""Agent profiles, presence, the load board, the backlog and assignments as the API takes
and shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from desk_contracts.enums import Presence, Priority
from desk_contracts.messages import Capacity
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ...schemas import Flag

CODE = r"^[a-z0-9][a-z0-9_-]*$"
# A skill is a category subtree as its path of codes from the root; [] covers everything.
SkillPath = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64, pattern=CODE)]],
    Field(max_length=3),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentProfileBody(_Body):
    """A whole profile (PUT); presence is kept when left out."""

    skills: list[SkillPath] = Field(max_length=200)
    capacity: Capacity
    group_head_id: UUID | None = None
    presence: Presence | None = None

    @field_validator("skills")
    @classmethod
    def _distinct(cls, value: list[list[str]]) -> list[list[str]]:
        return [list(path) for path in dict.fromkeys(tuple(path) for path in value)]


class AgentProfilePatch(_Body):
    """Only the fields sent change; `group_head_id: null` removes the head."""

    skills: list[SkillPath] | None = Field(default=None, max_length=200)
    capacity: Capacity | None = None
    group_head_id: UUID | None = None
    presence: Presence | None = None


class PresenceBody(_Body):
    presence: Presence


class Agent(BaseModel):
    id: UUID
    username: str | None
    display_name: str | None
    skills: list[list[str]]
    capacity: int
    load: int
    presence: Presence
    group_head_id: UUID | None
    last_assigned_at: datetime | None
    updated_at: datetime


class AgentPage(BaseModel):
    items: list[Agent]
    total: int
    limit: int
    offset: int


class WaitingIncident(BaseModel):
    position: int
    incident_id: UUID
    priority: Priority
    resolution_due: datetime | None
    registered_at: datetime
    category_path: list[str]
    waiting_since: datetime
    escalated_from: UUID | None
    # None for an incident that waited before routing kept numbers and titles.
    number: str | None = None
    title: str | None = None


class BacklogPage(BaseModel):
    items: list[WaitingIncident]
    total: int
    limit: int
    offset: int


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: UUID
    # Exceed the agent's capacity or pick an agent who is not online (heads, admins).
    override: Flag = False


class Assignment(BaseModel):
    incident_id: UUID
    agent_id: UUID
    previous_agent_id: UUID | None
    changed: bool
    reason: str
    load: int
    capacity: int
