"""Typed messages of the service desk: payloads, envelope, routing keys and topology."""

from .envelope import (
    SCHEMA_VERSION,
    Command,
    Envelope,
    ErrorItem,
    Event,
    Failure,
    Message,
    Query,
    Reply,
    Request,
    RequestReply,
    utc_now,
)

__all__ = [
    "SCHEMA_VERSION",
    "Command",
    "Envelope",
    "ErrorItem",
    "Event",
    "Failure",
    "Message",
    "Query",
    "Reply",
    "Request",
    "RequestReply",
    "utc_now",
]
