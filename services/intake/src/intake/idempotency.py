"""A request id (the client's Idempotency-Key) answers its retries, never another request."""

from __future__ import annotations

import hashlib
import json

from desk_contracts import ErrorItem
from desk_runtime.errors import Conflict


def request_digest(*asked: object) -> str:
    """A fingerprint of what a request asked for: its retry must ask the same."""
    return hashlib.sha256(json.dumps(asked, default=str).encode()).hexdigest()


def same_request(stored: str | None, digest: str) -> None:
    """A request id seen before must come with the same request; answering a different
    one with the first one's result would drop it."""
    if stored is not None and stored != digest:
        raise Conflict(
            "this Idempotency-Key was used for a different request",
            errors=[ErrorItem(field="Idempotency-Key", message="already used for another request")],
        )
