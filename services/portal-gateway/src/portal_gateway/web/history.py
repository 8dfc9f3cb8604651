"""A history entry as its reader reads it: system lines worded from their facts in the
reader's language; people's words, and lines older than facts, as they were written."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

Translate = Callable[..., str]
When = Callable[[datetime | None], str]


def _instant(value: str, when: When) -> str:
    return when(datetime.fromisoformat(value)) if value else "—"


def entry_line(text: str, facts: Mapping[str, str] | None, t: Translate, when: When) -> str:
    """The words shown for one entry."""
    if not facts:
        return text
    line = facts.get("line")
    if line == "registered":
        return t(
            "Incident {number} registered via {channel}.",
            number=facts.get("number", ""),
            channel=t(facts.get("channel", "")),
        )
    if line == "attached":
        return t("Attached: {files}", files=facts.get("files", ""))
    if line == "original_mail":
        return t("Original mail: {file}", file=facts.get("file", ""))
    if line == "status":
        worded = t(
            "Status changed from {old} to {new}.",
            old=t(facts.get("from", "")),
            new=t(facts.get("to", "")),
        )
        reason = facts.get("reason")
        return f"{worded} {reason}" if reason else worded
    if line == "rated":
        worded = t("Rated {score}/5.", score=facts.get("score", ""))
        comment = facts.get("comment")
        return f"{worded} {comment}" if comment else worded
    if line == "assigned":
        return t("Assigned: {reason}", reason=facts.get("reason", ""))
    if line == "deadlines":
        return t(
            "Deadlines under {contract}: first response by {response}, resolution by {resolution}.",
            contract=facts.get("contract", ""),
            response=_instant(facts.get("response", ""), when),
            resolution=_instant(facts.get("resolution", ""), when),
        )
    if line == "deadlines_moved":
        moved = []
        if "response" in facts:
            moved.append(
                t(
                    "first response {old} → {new}",
                    old=_instant(facts.get("response_from", ""), when),
                    new=_instant(facts["response"], when),
                )
            )
        if "resolution" in facts:
            moved.append(
                t(
                    "resolution {old} → {new}",
                    old=_instant(facts.get("resolution_from", ""), when),
                    new=_instant(facts["resolution"], when),
                )
            )
        return t(
            "Deadlines moved under {contract}: {changes}.",
            contract=facts.get("contract", ""),
            changes="; ".join(moved),
        )
    return text  # a line this gateway does not know yet: its English words
