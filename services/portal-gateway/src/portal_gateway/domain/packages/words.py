"""The packages area's words in Russian (keys are the English phrases)."""

from __future__ import annotations

RU: dict[str, str] = {
    "phone": "телефон",
    "e-mail": "электронная почта",
    "portal": "портал",
    "API": "API",
    "on-site visit": "выезд специалиста",
    "chat": "чат",
    "onsite": "выезд специалиста",
    "24/7": "круглосуточно",
    "no opening hours": "не работает",
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
    "Complaints": "Жалобы",
    "Satisfaction, mean of 5": "Удовлетворённость, среднее из 5",
    "Ratings": "Оценки",
    "Satisfaction": "Удовлетворённость",
    "Your package": "Ваш пакет",
    "The organization's package": "Пакет организации",
    "Hours": "Часы работы",
    "This month": "В этом месяце",
    "The month runs in {zone}; quotas renew on {renews}.": (
        "Месяц считается по часовому поясу {zone}; лимиты обновятся {renews}."
    ),
    "over quota": "сверх лимита",
    "Filed outside the hours of its channel: the clock starts at {start}.": (
        "Обращение поступило вне часов работы канала: отсчёт сроков начнётся {start}."
    ),
    "Channel report": "Отчёт по каналам",
    "By package": "По пакетам",
    "All clients together": "Все клиенты вместе",
    "By agent": "По исполнителям",
    "The bar is the channel's share of the group's requests.": (
        "Полоса — доля канала в обращениях группы."
    ),
    "Record a request": "Записать обращение",
    "A request that came by phone, an on-site visit, chat or e-mail counts against the"
    " client's quota of that channel.": (
        "Обращение, поступившее по телефону, при выезде, в чате или по почте, "
        "учитывается в лимите клиента по этому каналу."
    ),
    "Client": "Клиент",
    "Choose the client who asked": "Выберите клиента, который обратился",
    "Choose the channel the request came by.": "Выберите канал, по которому пришло обращение.",
    "Record the request": "Записать обращение",
    "Low ratings": "Низкие оценки",
    "Incident": "Инцидент",
    "Rated": "Оценено",
    "No low ratings.": "Низких оценок нет.",
}
