"""Grouped settings keep their flat names: the variable, the keyword and the copy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import environment_for


def test_a_variable_sets_its_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("DESK_MAIL_FROM", "Desk <desk@example.com>")
    monkeypatch.setenv("DESK_IMAP_URL", "imaps://imap.example.com")
    monkeypatch.setenv("DESK_NOTIFY_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("DESK_SECURE_COOKIES", "1")
    settings = DeskSettings()
    assert (settings.smtp.host, settings.smtp.mail_from) == (
        "mail.example.com",
        "Desk <desk@example.com>",
    )
    assert settings.inbound.imap_url == "imaps://imap.example.com"
    assert settings.notify.max_attempts == 3
    assert settings.gateway.secure_cookies is True


def test_flat_keywords_and_a_changed_copy() -> None:
    settings = DeskSettings(blob_dir=Path("/srv/blobs"), smtp_port=2525)
    assert (settings.blobs.dir, settings.smtp.port) == (Path("/srv/blobs"), 2525)
    changed = settings.replaced(smtp_port=25, auto_close_days=1)
    assert (changed.smtp.port, changed.incidents.auto_close_days) == (25, 1)
    assert changed.blobs.dir == Path("/srv/blobs")
    with pytest.raises(ValueError, match="smtp_prot"):
        settings.replaced(smtp_prot=25)


def test_a_child_process_reads_back_the_same_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    given = DeskSettings(namespace="kid", http_port=9600, inbound_smtp_port=0, demo=True)
    for name in list(os.environ):
        if name.startswith("DESK_"):
            monkeypatch.delenv(name)
    for name, value in environment_for(given).items():
        monkeypatch.setenv(name, value)
    assert DeskSettings() == given
