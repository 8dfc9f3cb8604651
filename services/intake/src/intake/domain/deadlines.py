"""The history line of a deadline computation: said once, and only when a due time moved.

sla announces its deadlines again on every pause, resume and reclassification; most of
those leave the due times as they were, and a line each would bury the history. The line
comes as its English text and as facts a page words in its reader's language."""

from __future__ import annotations

from datetime import datetime

from desk_runtime.local_time import UTC_ZONE, local_time


def _at(instant: datetime) -> str:
    """The stored English wording quotes UTC; pages word the facts in the reader's zone."""
    return local_time(instant, UTC_ZONE)


def deadline_line(
    *,
    previous_response: datetime | None,
    previous_resolution: datetime | None,
    response_due: datetime,
    resolution_due: datetime,
    contract: str,
) -> tuple[str, dict[str, str]] | None:
    """What the computation changed (text, facts), or None when both due times stand as
    they were. Facts carry instants in ISO 8601."""
    if previous_response is None and previous_resolution is None:
        text = (
            f"Deadlines under {contract}: first response by {_at(response_due)}, "
            f"resolution by {_at(resolution_due)}."
        )
        return text, {
            "line": "deadlines",
            "contract": contract,
            "response": response_due.isoformat(),
            "resolution": resolution_due.isoformat(),
        }
    moved = []
    facts = {"line": "deadlines_moved", "contract": contract}
    if previous_response != response_due:
        was = _at(previous_response) if previous_response else "none"
        moved.append(f"first response {was} → {_at(response_due)}")
        facts["response_from"] = previous_response.isoformat() if previous_response else ""
        facts["response"] = response_due.isoformat()
    if previous_resolution != resolution_due:
        was = _at(previous_resolution) if previous_resolution else "none"
        moved.append(f"resolution {was} → {_at(resolution_due)}")
        facts["resolution_from"] = previous_resolution.isoformat() if previous_resolution else ""
        facts["resolution"] = resolution_due.isoformat()
    if not moved:
        return None
    return f"Deadlines moved under {contract}: {'; '.join(moved)}.", facts
