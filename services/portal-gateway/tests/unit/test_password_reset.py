"""What a password reset link is worth (pure), and that every state reads in both
languages on the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from portal_gateway.domain.auth.reset import LINK_PROBLEMS, LinkState, link_state
from portal_gateway.domain.auth.reset_pages import LINK_WORDS
from portal_gateway.web.i18n import translator

NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("found", "used_at", "expires_at", "state"),
    [
        (True, None, NOW + timedelta(minutes=59), LinkState.VALID),
        (True, None, NOW, LinkState.EXPIRED),
        (True, None, NOW - timedelta(seconds=1), LinkState.EXPIRED),
        (True, NOW - timedelta(minutes=5), NOW + timedelta(minutes=30), LinkState.USED),
        # Used, then past its end: the reader is told it was used, not to ask again.
        (True, NOW - timedelta(hours=2), NOW - timedelta(hours=1), LinkState.USED),
        (False, None, None, LinkState.UNKNOWN),
    ],
)
def test_link_states(
    found: bool, used_at: datetime | None, expires_at: datetime | None, state: LinkState
) -> None:
    assert link_state(found, used_at, expires_at, NOW) is state


def test_every_refused_link_is_explained_in_both_languages() -> None:
    ru = translator("ru")
    refused = [s for s in LinkState if s is not LinkState.VALID]
    assert set(LINK_PROBLEMS) == set(LINK_WORDS) == set(refused)
    for state in refused:
        assert ru(LINK_WORDS[state]) != LINK_WORDS[state]
