"""The staffing area's words in Russian (keys are the English phrases)."""

from __future__ import annotations

RU: dict[str, str] = {
    "Staffing": "Укомплектованность",
    "Staffing by hour of the week": "Укомплектованность по часам недели",
    "Weekday": "День недели",
    "Hour": "Час",
    "Arrivals per hour": "Обращений в час",
    "Handle time, minutes": "Время обработки, мин",
    "Agents online": "Агентов на линии",
    "Agents needed": "Нужно агентов",
    "Gap": "Разница",
    "First responses": "Первые ответы",
    "Within target": "В срок",
    "Weeks": "Недель",
    "Service level": "Уровень сервиса",
    "Answer within, minutes": "Ответ в течение, мин",
    "Time zone": "Часовой пояс",
    "Download CSV": "Скачать CSV",
    "Most under-staffed hours": "Часы с наибольшей нехваткой",
    "No hour is short of agents.": "Нехватки агентов нет ни в один час.",
    "Gap of agents online against agents needed, by weekday and hour": (
        "Разница между агентами на линии и нужными, по дням недели и часам"
    ),
    "short": "не хватает",
    "enough": "достаточно",
    "Incidents: {incidents}, from {start} to {end}; {level}% answered within {minutes} min; "
    "each agent counts for {concurrency} incidents at a time.": (
        "Обращений: {incidents}, с {start} по {end}; {level}% с ответом в течение {minutes} "
        "мин; каждый агент ведёт до {concurrency} обращений одновременно."
    ),
    "nothing arrives, nobody online": "обращений нет, на линии никого",
    "Clients waiting longer than their target": "Клиенты, ждущие дольше срока",
    "Nobody waits longer than the target.": "Никто не ждёт дольше срока.",
    "Waiting since": "Ждёт с",
    "Waited": "Ждёт",
    "Target": "Срок",
    "Assignee": "Исполнитель",
    "nobody": "никто",
    "heads and admins only": "только для руководителей и администраторов",
    "between 0 and 1, e.g. 0.8": "от 0 до 1, например 0.8",
    "unknown time zone": "неизвестный часовой пояс",
}
