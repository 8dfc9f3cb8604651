"""The packages area's words in Russian (keys are the English phrases)."""

from __future__ import annotations

RU: dict[str, str] = {
    "phone": "телефон",
    "e-mail": "электронная почта",
    "portal": "портал",
    "API": "API",
    "on-site visit": "выезд специалиста",
    "chat": "чат",
    "24/7": "круглосуточно",
    "not included": "не входит в пакет",
    "unlimited; {used} this month": "без ограничений; в этом месяце: {used}",
    "{used} of {quota} used, renews on {renews}": (
        "использовано {used} из {quota}, обновится {renews}"
    ),
    "The {channel} channel is not included in your package.": (
        "Канал «{channel}» не входит в ваш пакет."
    ),
    "The {channel} quota of {quota} requests a month is used up ({used} of {quota});"
    " it renews on {renews}.": (
        "Лимит канала «{channel}» — {quota} обращений в месяц — исчерпан "
        "(использовано {used} из {quota}); он обновится {renews}."
    ),
    "clients only; staff read /api/v1/organizations/{id}/package": (
        "только для клиентов; сотрудники смотрят /api/v1/organizations/{id}/package"
    ),
    "no such organization": "нет такой организации",
    "all clients": "все клиенты",
    "Client group": "Группа клиентов",
    "Requests": "Обращения",
    "Share": "Доля",
    "Over quota": "Сверх лимита",
    "First response, median minutes": "Первый ответ, медиана, мин",
    "Resolution, median minutes": "Решение, медиана, мин",
    "managers, heads and admins only": "только для менеджеров, руководителей и администраторов",
}
