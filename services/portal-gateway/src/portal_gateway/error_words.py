"""The API's error messages in the reader's language.

A message is the catalogue's phrase when the catalogue knows it (the services' refusals
the pages already word), else one of pydantic's standard validation messages worded by
its pattern, else it stays as it was: an unknown message is never garbled. English
readers get the messages exactly as the services wrote them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .web.i18n import translator

Wording = Callable[[re.Match[str]], str]


def _plural(n: str, one: str, few: str, many: str) -> str:
    count = int(n)
    if count % 10 == 1 and count % 100 != 11:
        return one
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return few
    return many


# After "не короче", "не больше" the noun is genitive: 1 символа, 2 символов, 5 символов.
def _chars(n: str) -> str:
    return f"{n} {_plural(n, 'символа', 'символов', 'символов')}"


def _items(n: str) -> str:
    return f"{n} {_plural(n, 'элемента', 'элементов', 'элементов')}"


# pydantic v2's messages (`error.errors()[i]["msg"]`), as they reach the API.
_PYDANTIC_RU: tuple[tuple[re.Pattern[str], Wording], ...] = tuple(
    (re.compile(pattern), wording)
    for pattern, wording in (
        (r"^Field required$", lambda m: "Обязательное поле"),
        (r"^Extra inputs are not permitted$", lambda m: "Лишнее поле: такого поля нет"),
        (
            r"^String should have at least (\d+) characters?$",
            lambda m: f"Не короче {_chars(m[1])}",
        ),
        (
            r"^String should have at most (\d+) characters?$",
            lambda m: f"Не длиннее {_chars(m[1])}",
        ),
        (
            r"^List should have at least (\d+) items? after validation, not (\d+)$",
            lambda m: f"Нужно не меньше {_items(m[1])}, а не {m[2]}",
        ),
        (
            r"^List should have at most (\d+) items? after validation, not (\d+)$",
            lambda m: f"Допустимо не больше {_items(m[1])}, а не {m[2]}",
        ),
        (r"^Input should be a valid UUID", lambda m: "Нужен идентификатор (UUID)"),
        (r"^Input should be a valid integer", lambda m: "Нужно целое число"),
        (r"^Input should be a valid number", lambda m: "Нужно число"),
        (r"^Input should be a valid boolean", lambda m: "Нужно значение true или false"),
        (r"^Input should be a valid string", lambda m: "Нужна строка"),
        (r"^Input should be a valid list", lambda m: "Нужен список"),
        (r"^Input should be a valid date", lambda m: "Нужна дата (ГГГГ-ММ-ДД)"),
        (r"^Input should be a valid datetime", lambda m: "Нужны дата и время (ISO 8601)"),
        (r"^Input should be a valid email address", lambda m: "Нужен адрес e-mail"),
        (
            r"^Input should be a valid dictionary",
            lambda m: "Нужен объект JSON с полями",
        ),
        (r"^Input should be greater than or equal to (\S+)$", lambda m: f"Не меньше {m[1]}"),
        (r"^Input should be greater than (\S+)$", lambda m: f"Больше {m[1]}"),
        (r"^Input should be less than or equal to (\S+)$", lambda m: f"Не больше {m[1]}"),
        (r"^Input should be less than (\S+)$", lambda m: f"Меньше {m[1]}"),
        (
            r"^Input should be (.+)$",
            lambda m: "Допустимые значения: " + m[1].replace(" or ", " или "),
        ),
        (
            r"^String should match pattern",
            lambda m: "Значение не подходит по формату",
        ),
    )
)


_PRESENCE_RU = {"online": "в сети", "away": "отошёл", "offline": "не в сети"}


def _blocker(text: str) -> str:
    """One of routing's reasons an agent cannot take an incident by hand."""
    if found := re.fullmatch(r"agent is at capacity \((\d+)/(\d+)\)", text):
        return f"нагрузка сотрудника исчерпана ({found[1]}/{found[2]})"
    if found := re.fullmatch(r"agent is (\w+)", text):
        return f"сотрудник {_PRESENCE_RU.get(found[1], found[1])}"
    if text == "the agent's user is deactivated":
        return "учётная запись сотрудника отключена"
    return text


def _blockers(text: str) -> str:
    return "; ".join(_blocker(part) for part in text.split("; "))


# The services' refusals that carry values.
_VALUED_RU: tuple[tuple[re.Pattern[str], Wording], ...] = tuple(
    (re.compile(pattern), wording)
    for pattern, wording in (
        (
            r"^cannot assign: (.+); a head or admin may override$",
            lambda m: (
                f"Назначить нельзя: {_blockers(m[1])}; руководитель или администратор "
                "может назначить сверх этого"
            ),
        ),
        (r"^cannot assign: (.+)$", lambda m: f"Назначить нельзя: {_blockers(m[1])}"),
        (r"^a (\w+) incident cannot be assigned$", lambda m: "Такое обращение назначить нельзя"),
        (
            r"^only a failed notification can be sent again \(it is (\w+)\)$",
            lambda m: (
                f"Повторно отправить можно только неотправленное уведомление (его статус: {m[1]})"
            ),
        ),
        (
            r"^the article is at version (\d+), not (\d+): reload it and edit again$",
            lambda m: (
                f"Статья уже в версии {m[1]}, а не {m[2]}: обновите её и внесите правку снова"
            ),
        ),
        (r"^not a CIDR: (.+)$", lambda m: f"Не адрес или сеть в записи CIDR: {m[1]}"),
        (
            r"^time_zone '(.+)' is not a known IANA time zone$",
            lambda m: f"time_zone: «{m[1]}» — неизвестный часовой пояс IANA",
        ),
    )
)


def message_in(language: str) -> Callable[[str], str]:
    """`say(message)`: the message in `language` (as it was for English)."""
    if language == "en":
        return lambda message: message
    t = translator(language)

    def say(message: str) -> str:
        worded = t(message)
        if worded != message:
            return worded
        if message.startswith("Value error, "):
            return say(message.removeprefix("Value error, "))
        for pattern, wording in (*_VALUED_RU, *_PYDANTIC_RU) if language == "ru" else ():
            if found := pattern.match(message):
                return wording(found)
        return message

    return say


def body_in(language: str, body: dict[str, Any]) -> dict[str, Any]:
    """The public error body (`{"detail", "errors": [{"field", "message"}]}`) with its
    words in `language`; fields keep their names."""
    say = message_in(language)
    return {
        **body,
        "detail": say(str(body.get("detail", ""))),
        "errors": [
            {**item, "message": say(str(item.get("message", "")))}
            for item in body.get("errors", [])
        ],
    }
