"""The category tree as the API takes and shows it."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from desk_contracts.messages import Name
from pydantic import BaseModel, Field

from ...schemas import Body

CategoryCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]


Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


class NewCategory(Body):
    parent_id: UUID | None = None
    code: CategoryCode
    name: Name
    colour: Colour = "#607d8b"
    escalation_contact_id: UUID | None = None


class CategoryChange(Body):
    name: Name | None = None
    colour: Colour | None = None
    escalation_contact_id: UUID | None = None


class CategoryOut(BaseModel):
    id: UUID
    parent_id: UUID | None
    code: str
    path: list[str]
    name: str
    colour: str
    escalation_contact_id: UUID | None


class CategoryPage(BaseModel):
    total: int
    items: list[CategoryOut]
