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


ReplyT = TypeVar("ReplyT", bound=Message)


class RequestReply(Message, Generic[ReplyT]):
    """A message one service answers over request/reply, with the model of its answer
    named as the type parameter: `class GetIncident(Query[IncidentView])`. `REPLY` is that
    model, read by whoever answers or asks; a concrete message without one is refused
    when its class is defined."""

    REPLY: ClassVar[type[Message]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        metadata = cls.__pydantic_generic_metadata__
        if metadata["args"]:
            (reply,) = metadata["args"]
            if reply is Any or isinstance(reply, TypeVar):
                return  # `RequestReply[Any]` in an annotation: any of them
            if not (isinstance(reply, type) and issubclass(reply, Message)):
                raise TypeError(f"{cls.__name__}: the reply {reply!r} is not a Message")
            cls.REPLY = reply
        elif not getattr(cls, "__parameters__", ()) and not hasattr(cls, "REPLY"):
            raise TypeError(f"{cls.__name__} names no reply: derive it from Query[…] or Request[…]")


class Query(RequestReply[ReplyT], Generic[ReplyT]):
    """A question: answering it reads and changes nothing."""


class Request(RequestReply[ReplyT], Generic[ReplyT]):
    """Asks the answering service to change its state and say what came of it."""


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
