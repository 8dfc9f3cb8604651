"""System lines of the history, worded from their facts in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from portal_gateway.web.history import entry_line
from portal_gateway.web.i18n import translator


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%d.%m %H:%M") if value else "—"


RU, EN = translator("ru"), translator("en")


@pytest.mark.parametrize(
    ("facts", "english", "russian"),
    [
        (
            {"line": "status", "from": "waiting_on_client", "to": "in_progress"},
            "Status changed from waiting on client to in progress.",
            "Статус изменён: ждёт клиента → в работе.",
        ),
        (
            {"line": "status", "from": "resolved", "to": "reopened", "reason": "Still hangs"},
            "Status changed from resolved to reopened. Still hangs",
            "Статус изменён: решён → открыт повторно. Still hangs",
        ),
        (
            {"line": "registered", "number": "INC-000007", "channel": "email"},
            "Incident INC-000007 registered via email.",
            "Обращение INC-000007 зарегистрировано, канал: почта.",
        ),
        ({"line": "rated", "score": "4"}, "Rated 4/5.", "Оценка 4/5."),
        (
            {
                "line": "deadlines",
                "contract": "Standard v1",
                "response": "2026-03-02T09:00:00+00:00",
                "resolution": "2026-03-02T17:00:00+00:00",
            },
            "Deadlines under Standard v1: first response by 02.03 09:00, "
            "resolution by 02.03 17:00.",
            "Сроки по договору Standard v1: первый ответ до 02.03 09:00, решение до 02.03 17:00.",
        ),
        (
            {
                "line": "deadlines_moved",
                "contract": "Standard v1",
                "resolution_from": "2026-03-02T17:00:00+00:00",
                "resolution": "2026-03-02T19:00:00+00:00",
            },
            "Deadlines moved under Standard v1: resolution 02.03 17:00 → 02.03 19:00.",
            "Сроки по договору Standard v1 сдвинулись: решение 02.03 17:00 → 02.03 19:00.",
        ),
    ],
)
def test_a_system_line_reads_in_each_language(
    facts: dict[str, str], english: str, russian: str
) -> None:
    assert entry_line("stored English words", facts, EN, when) == english
    assert entry_line("stored English words", facts, RU, when) == russian


def test_peoples_words_and_unknown_lines_stay_as_written() -> None:
    assert entry_line("Перезапустите службу печати.", None, EN, when) == (
        "Перезапустите службу печати."
    )
    assert entry_line("Old line", {"line": "from the future"}, RU, when) == "Old line"
