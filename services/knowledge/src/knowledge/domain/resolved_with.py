"""Which articles an incident was resolved with.

An agent links an article to a public reply (intake keeps `article_id` on the entry).
The incident counts as *resolved with* that article when its resolution follows the
linking reply with no client reply between them: the reply itself may resolve it, or a
status change after it (the agent answers, then resolves; other staff replies may come
between). A client reply or a reopen starts afresh: an article linked before it does not
count for a later resolution. Only the incident's last resolution counts, and only while
no reopen follows it, so one incident counts at most once per article."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from .fcr import CLIENT_REPLY, REOPENED, RESOLVED, STAFF_REPLY, Activity, in_order


def articles_resolved_with(activity: Iterable[Activity]) -> frozenset[UUID]:
    linked: set[UUID] = set()
    resolved_with: frozenset[UUID] = frozenset()
    for item in in_order(activity):
        if item.kind == STAFF_REPLY and item.article_id is not None:
            linked.add(item.article_id)
        elif item.kind == CLIENT_REPLY:
            linked = set()
        elif item.kind == RESOLVED:
            resolved_with = frozenset(linked)
        elif item.kind == REOPENED:
            linked = set()
            resolved_with = frozenset()
    return resolved_with
