"""The body of a dead-letter action."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DeadLetterAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue: str = Field(min_length=1, max_length=255, description="the dead-letter queue")
    message_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="the dead letter's key (its message id); omit to act on the whole queue",
    )
