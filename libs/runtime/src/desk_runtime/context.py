"""The message being handled, so what it causes carries its correlation id."""

from __future__ import annotations

from contextvars import ContextVar
from uuid import UUID

correlation_id_var: ContextVar[UUID | None] = ContextVar("correlation_id", default=None)
causation_id_var: ContextVar[UUID | None] = ContextVar("causation_id", default=None)
