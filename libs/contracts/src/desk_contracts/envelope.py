"""The envelope every message travels in, whatever its payload."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar, cast
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class Message(BaseModel):
    """Base of every payload: strict about unknown fields so typos fail loudly."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Routing key for events and commands; the request queue suffix for queries.
    ROUTING_KEY: ClassVar[str] = ""


class Event(Message):
    """Something that happened; any service may subscribe."""


class Command(Message):
    """Something one service is asked to do; exactly one service consumes it."""


class Query(Message):
    """A request/reply question; the answer model is named by REPLY."""


PayloadT = TypeVar("PayloadT", bound=Message)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel, Generic[PayloadT]):
    """Metadata that lets a consumer deduplicate, trace and version a message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message_id: UUID = Field(default_factory=uuid4)
    correlation_id: UUID = Field(default_factory=uuid4)
    causation_id: UUID | None = None
    occurred_at: datetime = Field(default_factory=utc_now)
    producer: str
    schema_version: int = SCHEMA_VERSION
    type: str
    payload: PayloadT

    @classmethod
    def wrap(
        cls,
        payload: PayloadT,
        *,
        producer: str,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
    ) -> Envelope[PayloadT]:
        typed: Any = Envelope.__class_getitem__(type(payload))
        return cast(
            "Envelope[PayloadT]",
            typed(
                producer=producer,
                type=payload.ROUTING_KEY,
                payload=payload,
                correlation_id=correlation_id or uuid4(),
                causation_id=causation_id,
            ),
        )


class ErrorItem(BaseModel):
    field: str
    message: str


class Failure(BaseModel):
    """Why a query or command could not be served; the gateway maps `status` to HTTP."""

    status: int
    detail: str
    errors: list[ErrorItem] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)


class Reply(BaseModel, Generic[PayloadT]):
    """The answer to a query: a result or a failure, never both."""

    ok: bool
    result: PayloadT | None = None
    failure: Failure | None = None
