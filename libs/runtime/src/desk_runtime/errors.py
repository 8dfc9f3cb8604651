"""Failures a handler reports on purpose; they travel back to the asker as a Failure."""

from __future__ import annotations

from typing import Any

from desk_contracts import ErrorItem, Failure
from pydantic import ValidationError


def fact(kind: str, key: object) -> str:
    """The name of one fact a message may wait for, e.g. `incident:<id>`: the same in
    the handler that waits (`NotYet`) and in the one that records it
    (`UnitOfWork.arrived`)."""
    return f"{kind}:{key}"


class NotYet(LookupError):
    """A fact this message builds on has not arrived yet: it travels on another queue
    (an incident's registration, a user's contact point) and may be a moment or, under
    a long lag, minutes behind. The consumer parks the message under that fact instead
    of failing it (desk_runtime.parking), and the transaction that records the fact
    (`UnitOfWork.arrived(kind, key)`) handles it."""

    def __init__(self, kind: str, key: object, detail: str | None = None) -> None:
        super().__init__(detail or f"{kind} {key} not known yet")
        self.fact = fact(kind, key)


class DomainError(Exception):
    status = 400

    def __init__(
        self,
        detail: str,
        *,
        errors: list[ErrorItem] | None = None,
        data: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.data = data or {}
        if status is not None:
            self.status = status

    def to_failure(self) -> Failure:
        return Failure(status=self.status, detail=self.detail, errors=self.errors, data=self.data)


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422

    @classmethod
    def field(cls, field: str, message: str) -> Invalid:
        return cls(f"{field}: {message}", errors=[ErrorItem(field=field, message=message)])


class Forbidden(DomainError):
    status = 403


def validation_items(
    error: ValidationError, *, strip_prefix: tuple[str, ...] = ()
) -> list[ErrorItem]:
    """Pydantic's errors as (field, message) pairs, with field paths a user understands."""
    items: list[ErrorItem] = []
    for problem in error.errors(include_url=False):
        location = [str(part) for part in problem["loc"]]
        while location and location[0] in strip_prefix:
            location = location[1:]
        items.append(ErrorItem(field=".".join(location) or "body", message=problem["msg"]))
    return items
