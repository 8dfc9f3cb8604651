"""The message being handled, so what it causes carries its correlation id."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from desk_contracts import Envelope

from .logging import log_context

correlation_id_var: ContextVar[UUID | None] = ContextVar("correlation_id", default=None)
causation_id_var: ContextVar[UUID | None] = ContextVar("causation_id", default=None)


@contextlib.contextmanager
def message_context(envelope: Envelope[Any]) -> Iterator[None]:
    """The correlation and log context of handling `envelope`."""
    correlation = correlation_id_var.set(envelope.correlation_id)
    causation = causation_id_var.set(envelope.message_id)
    try:
        with log_context(
            correlation_id=envelope.correlation_id,
            message_id=envelope.message_id,
            message_type=envelope.type,
            incident_id=getattr(envelope.payload, "incident_id", None),
        ):
            yield
    finally:
        correlation_id_var.reset(correlation)
        causation_id_var.reset(causation)
