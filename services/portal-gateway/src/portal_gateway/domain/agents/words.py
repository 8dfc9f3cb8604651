"""The agents' words in Russian (English is the key itself): presence in the header,
an admin's change of skills and capacity, a head's override of capacity."""

from __future__ import annotations

RU: dict[str, str] = {
    "Your presence": "Ваше присутствие",
    "Set": "Задать",
    "You are {presence} now.": "Ваш статус: {presence}.",
    "choose online, away or offline": "выберите «в сети», «отошёл» или «не в сети»",
    "Skills and capacity of {name} are saved.": "Навыки и ёмкость: {name} — сохранено.",
    "Capacity: a whole number from 0 to 1000.": "Ёмкость: целое число от 0 до 1000.",
    "Override capacity": "Сверх ёмкости",
    "Assign even if the agent is not online or at capacity (heads and admins).": (
        "Назначить, даже если агент не в сети или его ёмкость исчерпана (руководители и "
        "администраторы)."
    ),
    "Cannot assign: {reasons}.": "Назначить нельзя: {reasons}.",
    "agent is away": "агент отошёл",
    "agent is offline": "агент не в сети",
    "agent is at capacity": "ёмкость агента исчерпана",
    "Tick “Override capacity” to assign all the same.": (
        "Отметьте «Сверх ёмкости», чтобы всё же назначить."
    ),
    "A head or an admin may override.": (
        "Руководитель или администратор может назначить сверх ёмкости."
    ),
    "only a head or an admin may override": (
        "назначать сверх ёмкости может только руководитель или администратор"
    ),
}
