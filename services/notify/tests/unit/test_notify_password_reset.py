"""The password reset mail in both languages: the login, the single-use link and when
it ends; the link is built from the portal's address."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from desk_contracts.enums import Locale
from desk_runtime.settings import DeskSettings
from notify.deliveries import Notifier
from notify.handlers.accounts import PASSWORD_RESET, SECRET_KINDS
from notify.templates import Templates

WORDS = {Locale.EN: ("new password", "works once"), Locale.RU: ("пароль", "один раз")}


@pytest.mark.parametrize("locale", list(Locale))
def test_the_reset_mail_renders_in_every_language(locale: Locale) -> None:
    mail = Templates().email(
        PASSWORD_RESET,
        locale,
        {
            "recipient_name": "Rita <R>",
            "username": "rita",
            "expires_at": datetime(2026, 12, 3, 8, 0, tzinfo=UTC),
            "link": "http://desk.example/password-reset/TOKEN",
        },
    )
    subject_word, once = WORDS[locale]
    assert subject_word in mail.subject.lower()
    assert once in mail.text
    assert "rita" in mail.text
    assert "2026-12-03 08:00 UTC" in mail.text
    assert "http://desk.example/password-reset/TOKEN" in mail.text
    assert 'href="http://desk.example/password-reset/TOKEN"' in mail.html
    assert "Rita &lt;R&gt;" in mail.html
    assert "{{" not in mail.text + mail.html


def test_the_link_goes_to_the_portal_and_the_log_keeps_it_secret() -> None:
    notifier = Notifier(DeskSettings(portal_url="https://desk.example/"))
    assert notifier.password_reset_link("abc") == "https://desk.example/password-reset/abc"
    assert PASSWORD_RESET in SECRET_KINDS
