"""A burst of changes makes one message: when a group is due, which kinds gather, and a
grouped mail that lists every change in its reader's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from desk_contracts.enums import Locale
from notify import grouping
from notify.templates import Templates

FIRST = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

CONTEXT = {
    "number": "INC-000042",
    "title": "Drawings for the press",
    "priority": "normal",
    "recipient_name": "Anna",
    "link": "http://desk.example/incidents/42",
}


def test_only_replies_gather_and_a_window_of_zero_turns_it_off() -> None:
    assert grouping.groups("public_reply", 5)
    assert not grouping.groups("public_reply", 0)
    assert not grouping.groups("incident_registered", 5)
    assert not grouping.groups("breach", 5)


def test_each_change_puts_the_send_off_by_one_window() -> None:
    until = grouping.gathering_until(FIRST, 5)
    assert grouping.send_at(FIRST, until, 5) == FIRST + timedelta(seconds=5)
    later = FIRST + timedelta(seconds=4)
    assert grouping.send_at(later, until, 5) == later + timedelta(seconds=5)


def test_a_steady_trickle_is_sent_at_the_cap() -> None:
    until = grouping.gathering_until(FIRST, 5)
    assert until == FIRST + timedelta(seconds=5 * grouping.MAX_WINDOWS)
    late = until - timedelta(seconds=1)
    assert grouping.send_at(late, until, 5) == until


def test_a_files_only_line_is_worded_by_the_template_not_in_english() -> None:
    change = grouping.change_values(
        author_name="Rita", text="Attached: a.pdf", files=["a.pdf"], is_files_only=True
    )
    assert change == {"author_name": "Rita", "entry_text": "", "files": ["a.pdf"]}
    reply = grouping.change_values(
        author_name="Rita", text="See the file", files=["a.pdf"], is_files_only=False
    )
    assert reply["entry_text"] == "See the file"


def test_the_latest_change_fills_the_single_change_names() -> None:
    changes = [
        {"author_name": "Rita", "entry_text": "first", "files": []},
        {"author_name": "Anna", "entry_text": "second", "files": ["b.png"]},
    ]
    values = grouping.message_values(changes)
    assert values["author_name"] == "Anna"
    assert values["entry_text"] == "second"
    assert values["files"] == ["b.png"]
    assert len(values["changes"]) == 2


def thirteen_files() -> dict[str, object]:
    changes = [
        grouping.change_values(
            author_name="Rita",
            text=f"Attached: sheet-{n:02d}.dwg",
            files=[f"sheet-{n:02d}.dwg"],
            is_files_only=True,
        )
        for n in range(1, 14)
    ]
    return {**CONTEXT, **grouping.message_values(changes)}


@pytest.mark.parametrize(
    ("locale", "subject", "files_word"),
    [(Locale.EN, "13 changes", "Files:"), (Locale.RU, "Изменений: 13", "Файлы:")],
)
def test_a_grouped_mail_lists_every_change(locale: Locale, subject: str, files_word: str) -> None:
    mail = Templates().email("public_reply", locale, thirteen_files())
    assert subject in mail.subject
    assert mail.subject.startswith("[INC-000042]")
    for n in range(1, 14):
        assert f"{files_word} sheet-{n:02d}.dwg" in mail.text
        assert f"sheet-{n:02d}.dwg" in mail.html
    assert "Attached" not in mail.text
    assert mail.html.count("<li>") == 13


@pytest.mark.parametrize("locale", list(Locale))
def test_a_grouped_text_message_counts_the_changes(locale: Locale) -> None:
    sms = Templates().sms("public_reply", locale, thirteen_files())
    assert "13" in sms
    assert "INC-000042" in sms


def test_one_change_reads_as_a_reply() -> None:
    values = {
        **CONTEXT,
        **grouping.message_values(
            [grouping.change_values(author_name="Rita", text="Hi", files=[], is_files_only=False)]
        ),
    }
    mail = Templates().email("public_reply", Locale.EN, values)
    assert "New reply" in mail.subject
    assert 'Rita replied on INC-000042 "Drawings for the press":\n\nHi\n' in mail.text
