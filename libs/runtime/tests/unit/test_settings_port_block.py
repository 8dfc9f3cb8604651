"""What a desk does not configure follows its HTTP port, so two desks never collide."""

from __future__ import annotations

import pytest
from desk_runtime.settings import DeskSettings


def test_the_default_desk() -> None:
    settings = DeskSettings()
    assert settings.portal_url == "http://127.0.0.1:8080"
    assert settings.smtp.port == 8105
    assert settings.inbound.smtp_port == 8100


def test_another_port_block_moves_the_links_and_the_sink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_HTTP_PORT", "9080")
    settings = DeskSettings()
    assert settings.portal_url == "http://127.0.0.1:9080"
    assert settings.smtp.port == 9105
    assert settings.inbound.smtp_port == 9100


def test_what_is_given_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_HTTP_PORT", "9080")
    monkeypatch.setenv("DESK_PORTAL_URL", "https://desk.example.com")
    monkeypatch.setenv("DESK_SMTP_PORT", "25")
    monkeypatch.setenv("DESK_INBOUND_SMTP_PORT", "2525")
    settings = DeskSettings()
    assert (settings.portal_url, settings.smtp.port) == ("https://desk.example.com", 25)
    assert settings.inbound.smtp_port == 2525
    assert DeskSettings(http_port=7000, portal_url="https://x.example").portal_url == (
        "https://x.example"
    )


def test_a_bad_port_is_still_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_HTTP_PORT", "eighty")
    with pytest.raises(ValueError, match="http_port"):
        DeskSettings()
