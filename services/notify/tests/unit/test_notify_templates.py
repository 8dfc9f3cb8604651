"""Every notification renders in both languages on both channels, HTML is escaped,
SMS fits its segments, and an operator's file overrides the packaged one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from desk_contracts.enums import Locale
from desk_contracts.messages import NOTIFICATION_KINDS
from notify.sms_segments import segment_count
from notify.templates import SMS_MAX_SEGMENTS, Templates, with_reference

VALUES = {
    "incident_id": UUID(int=1),
    "number": "INC-000123",
    "title": "Invoices fail to print",
    "priority": "high",
    "response_due": datetime(2026, 3, 2, 11, 0, tzinfo=UTC),
    "resolution_due": datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
    "recipient_name": "Alice",
    "link": "http://desk.example/incidents/1",
    "rating_link": "http://desk.example/incidents/1#rating",
    "entry_text": "Please try again now.",
    "author_name": "Anna Agent",
    "files": [],
    "changes": [{"author_name": "Anna Agent", "entry_text": "Please try again now.", "files": []}],
    "clock": "resolution",
    "due_at": datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
    "level": 2,
    "organization": "Acme Manufacturing",
    "score": 2,
    "comment": "Took a week.",
    "channel": "email",
    "category_path": "",
    "per_month": 15,
    "used": 16,
    "renews_on": "2027-01-01",
    "contract_name": "Standard",
}


@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("kind", NOTIFICATION_KINDS)
def test_every_kind_renders_in_every_language(kind: str, locale: Locale) -> None:
    templates = Templates()
    mail = templates.email(kind, locale, VALUES)
    assert "INC-000123" in mail.subject
    assert "\n" not in mail.subject
    assert "INC-000123" in mail.text
    assert "INC-000123" in mail.html
    assert "{{" not in mail.text + mail.html
    sms = templates.sms(kind, locale, VALUES)
    assert "INC-000123" in sms
    assert segment_count(sms) <= SMS_MAX_SEGMENTS


def test_language_follows_the_locale_and_due_times_are_shown() -> None:
    templates = Templates()
    en = templates.email("incident_assigned", Locale.EN, VALUES)
    ru = templates.email("incident_assigned", Locale.RU, VALUES)
    assert "Assigned to you" in en.subject
    assert "Назначено вам" in ru.subject
    assert "2026-03-03 09:00 UTC" in en.text
    assert "высокий" in ru.text
    assert "high" in en.text


def test_resolved_carries_the_rating_link() -> None:
    mail = Templates().email("resolved", Locale.EN, VALUES)
    assert VALUES["rating_link"] in mail.text
    assert f'href="{VALUES["rating_link"]}"' in mail.html


def test_reminder_names_the_clock() -> None:
    templates = Templates()
    response = templates.email("reminder", Locale.EN, {**VALUES, "clock": "response"})
    resolution = templates.email("reminder", Locale.RU, VALUES)
    next_reply = templates.email("breach", Locale.EN, {**VALUES, "clock": "next_reply"})
    assert "first response" in response.subject
    assert "решения" in resolution.subject
    assert "next reply" in next_reply.subject


def test_unknown_due_times_are_left_out() -> None:
    mail = Templates().email(
        "incident_assigned", Locale.EN, {**VALUES, "response_due": None, "resolution_due": None}
    )
    assert "due" not in mail.text
    assert "<ul>" not in mail.html


def test_html_is_escaped_and_text_is_not() -> None:
    hostile = {**VALUES, "title": '<script>alert("x")</script> & co', "entry_text": "<b>hi</b>"}
    mail = Templates().email("public_reply", Locale.EN, hostile)
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "&lt;b&gt;hi&lt;/b&gt;" in mail.html
    assert '<script>alert("x")</script> & co' in mail.text


def test_a_long_title_is_cut_to_fit_the_sms_segments() -> None:
    long = {**VALUES, "title": "Очень длинное название " * 40}
    sms = Templates().sms("incident_registered", Locale.RU, long)
    assert segment_count(sms) == SMS_MAX_SEGMENTS
    assert sms.endswith("...")


def test_an_operator_override_wins_and_is_picked_up_without_a_restart(tmp_path: Path) -> None:
    templates = Templates(tmp_path)
    assert templates.email("resolved", Locale.EN, VALUES).subject.startswith("[INC-000123]")
    override = tmp_path / "en.resolved.subject.txt"
    override.write_text("Done: {{ title }}\n")
    # The override's words, and still the reference a reply is threaded by.
    assert (
        templates.email("resolved", Locale.EN, VALUES).subject
        == "[INC-000123] Done: Invoices fail to print"
    )
    override.write_text("Done: [{{ number }}]\n")
    assert templates.email("resolved", Locale.EN, VALUES).subject == "Done: [INC-000123]"
    # Other parts and languages still come from the packaged templates.
    assert "решено" in templates.email("resolved", Locale.RU, VALUES).text


@pytest.mark.parametrize(
    ("subject", "number", "expected"),
    [
        ("[INC-000123] Resolved", "INC-000123", "[INC-000123] Resolved"),
        ("Resolved", "INC-000123", "[INC-000123] Resolved"),
        ("Re: [INC-000123] x", "INC-000123", "Re: [INC-000123] x"),
        # Only the bracketed reference counts: a bare number is not recognised in replies.
        ("INC-000123 resolved", "INC-000123", "[INC-000123] INC-000123 resolved"),
        ("", "INC-000123", "[INC-000123]"),
        ("Report", None, "Report"),
        ("Report", "", "Report"),
    ],
)
def test_every_subject_carries_the_incident_reference(
    subject: str, number: str | None, expected: str
) -> None:
    assert with_reference(subject, number) == expected


def test_a_used_up_quota_names_the_channel_the_quota_and_the_renewal_in_each_language() -> None:
    templates = Templates()
    en = templates.email("quota_used_up", Locale.EN, VALUES)
    ru = templates.email("quota_used_up", Locale.RU, VALUES)
    assert "Acme Manufacturing" in en.subject
    assert "e-mail quota of 15" in en.subject
    assert "16 requests against 15 a month" in en.text
    assert "renews on 2027-01-01" in en.text
    assert "электронная почта" in ru.subject
    assert "16 обращений при 15 в месяц" in ru.text
    assert "обновится 2027-01-01" in ru.text


def test_a_complaint_and_a_low_rating_say_what_they_are() -> None:
    templates = Templates()
    assert (
        "Complaint from Acme Manufacturing"
        in templates.email("complaint", Locale.EN, VALUES).subject
    )
    assert "Жалоба" in templates.email("complaint", Locale.RU, VALUES).subject
    low = templates.email("low_rating", Locale.EN, VALUES)
    assert "2/5" in low.subject
    assert "Took a week." in low.text
    assert "2 из 5" in templates.email("low_rating", Locale.RU, VALUES).text


@pytest.mark.parametrize("locale", list(Locale))
def test_times_are_in_the_recipients_zone_with_its_offset(locale: Locale) -> None:
    moscow = {**VALUES, "time_zone": "Europe/Moscow"}
    mail = Templates().email("incident_assigned", locale, moscow)
    assert "2026-03-02 14:00 MSK (UTC+03:00)" in mail.text
    assert "2026-03-02 14:00 MSK (UTC+03:00)" in mail.html
    assert "11:00 UTC" not in mail.text
