"""The API's error messages in the reader's language: the catalogue's phrases, pydantic's
standard messages by pattern, anything unknown left as it was, English untouched."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from litestar import Litestar, Request, get
from litestar.exceptions import ValidationException
from litestar.testing import TestClient
from portal_gateway.app import EXCEPTION_HANDLERS
from portal_gateway.error_words import body_in, message_in


def test_pydantic_messages_are_worded_in_russian_with_their_numbers() -> None:
    say = message_in("ru")
    assert say("Field required") == "Обязательное поле"
    assert say("String should have at most 200 characters") == "Не длиннее 200 символов"
    assert say("String should have at least 1 character") == "Не короче 1 символа"
    assert say("String should have at least 2 characters") == "Не короче 2 символов"
    assert say("Input should be greater than or equal to 1") == "Не меньше 1"
    assert say("Input should be 'low', 'normal' or 'high'") == (
        "Допустимые значения: 'low', 'normal' или 'high'"
    )
    assert say("Input should be a valid UUID, invalid length") == "Нужен идентификатор (UUID)"
    assert say("Value error, Field required") == "Обязательное поле"


def test_the_catalogues_phrases_are_used_and_unknown_messages_stay() -> None:
    say = message_in("ru")
    assert say("This field is required.") == "Обязательное поле."
    assert say("no such thing as a frobnicator") == "no such thing as a frobnicator"


@given(st.text(max_size=80))
def test_english_readers_get_every_message_as_written(message: str) -> None:
    assert message_in("en")(message) == message


@given(st.text(max_size=80))
def test_a_russian_wording_never_fails(message: str) -> None:
    assert isinstance(message_in("ru")(message), str)


def test_fields_keep_their_names() -> None:
    body = {
        "detail": "invalid request",
        "errors": [{"field": "title", "message": "Field required"}],
    }
    worded = body_in("ru", body)
    assert worded["errors"] == [{"field": "title", "message": "Обязательное поле"}]


def _app() -> Litestar:
    @get("/api/thing", sync_to_thread=False)
    def thing(request: Request[Any, Any, Any]) -> None:
        raise ValidationException(
            detail="title: Field required", extra=[{"key": "title", "message": "Field required"}]
        )

    return Litestar(route_handlers=[thing], exception_handlers=EXCEPTION_HANDLERS)


def test_an_api_refusal_speaks_the_readers_language_and_names_the_field() -> None:
    with TestClient(_app()) as client:
        english = client.get("/api/thing")
        russian = client.get("/api/thing", headers={"accept-language": "ru-RU,ru;q=0.9"})
    assert english.status_code == russian.status_code == 422
    assert english.json()["errors"] == [{"field": "title", "message": "Field required"}]
    assert russian.json()["errors"] == [{"field": "title", "message": "Обязательное поле"}]


def test_the_services_refusals_reach_a_russian_reader_in_russian() -> None:
    say = message_in("ru")
    assert say("incident not found") == "Обращение не найдено"
    assert say("the incident is closed; file a new one") == (
        "Обращение закрыто: зарегистрируйте новое"
    )
    assert say("only the requester rates an incident") == "Оценку ставит только автор обращения"


def test_no_refusal_shadows_a_word_of_the_pages() -> None:
    from portal_gateway.refusal_words import REFUSALS_RU
    from portal_gateway.web.i18n import translator

    t = translator("ru")
    shadowed = {k for k, v in REFUSALS_RU.items() if t(k) != v}
    assert shadowed == set(), "worded by a page's catalogue already: drop them from refusals"


def test_refusals_with_values_keep_their_values() -> None:
    say = message_in("ru")
    assert say(
        "cannot assign: agent is away; agent is at capacity (3/3); a head or admin may override"
    ) == (
        "Назначить нельзя: сотрудник отошёл; нагрузка сотрудника исчерпана (3/3); "
        "руководитель или администратор может назначить сверх этого"
    )
    assert say("the article is at version 4, not 3: reload it and edit again") == (
        "Статья уже в версии 4, а не 3: обновите её и внесите правку снова"
    )
