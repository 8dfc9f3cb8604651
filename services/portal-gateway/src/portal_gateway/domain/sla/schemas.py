"""Request bodies of the SLA area; the answers are sla's own views (desk_contracts)."""

from __future__ import annotations

from desk_contracts.enums import Locale, Priority
from desk_contracts.messages import Instant, PauseSpec
from pydantic import BaseModel, ConfigDict, Field


class PreviewRequest(BaseModel):
    """A hypothetical registration: when, what (category path of codes, priority) and
    which waits on the client happened; `version` defaults to the latest."""

    model_config = ConfigDict(extra="forbid")

    registered_at: Instant
    category_path: list[str] = Field(default_factory=list, max_length=3)
    priority: Priority = Priority.NORMAL
    pauses: list[PauseSpec] = Field(default_factory=list, max_length=200)
    version: int | None = Field(default=None, ge=1)
    # Measures a wait that is still open; defaults to the present instant.
    now: Instant | None = None
    locale: Locale | None = None
