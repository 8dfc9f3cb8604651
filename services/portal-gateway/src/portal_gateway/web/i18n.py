"""The portal's words in English and Russian. Keys are short English phrases so a
missing translation still reads sensibly."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("en", "ru")

_RU: dict[str, str] = {
    "Service desk": "Служба поддержки",
    "Skip to content": "Перейти к содержимому",
    "Incidents": "Инциденты",
    "New incident": "Новый инцидент",
    "Agents": "Агенты",
    "SLA report": "Отчёт по SLA",
    "Log out": "Выйти",
    "Log in": "Войти",
    "Username": "Имя пользователя",
    "Password": "Пароль",
    "Sign in to the service desk": "Вход в службу поддержки",
    "Wrong username or password.": "Неверное имя пользователя или пароль.",
    "Too many failed attempts. Try again in {seconds} s.": (
        "Слишком много неудачных попыток. Повторите через {seconds} с."
    ),
    "Your organization does not allow access from this address ({address}).": (
        "Ваша организация не разрешает вход с этого адреса ({address})."
    ),
    "The form has expired; please try again.": "Форма устарела, попробуйте ещё раз.",
    "Language": "Язык",
    "Search": "Поиск",
    "Search title, description, replies": "Поиск по теме, описанию и ответам",
    "Status": "Статус",
    "Priority": "Приоритет",
    "Category": "Категория",
    "Any": "Любой",
    "Any category": "Любая категория",
    "Only overdue": "Только просроченные",
    "Assignee": "Исполнитель",
    "Anyone": "Любой",
    "Me": "Я",
    "Unassigned": "Не назначен",
    "Apply": "Применить",
    "Reset": "Сбросить",
    "Number": "Номер",
    "Title": "Тема",
    "Response due": "Срок реакции",
    "Resolution due": "Срок решения",
    "Created": "Создан",
    "overdue": "просрочен",
    "Overdue": "Просрочен",
    "No incidents match.": "Нет подходящих инцидентов.",
    "{total} incidents": "Инцидентов: {total}",
    "Previous": "Назад",
    "Next": "Вперёд",
    "Page {page} of {pages}": "Страница {page} из {pages}",
    "All incidents": "Все инциденты",
    "Open incidents by category and priority": "Открытые инциденты по категориям и приоритетам",
    "Select all": "Выбрать все",
    "Select": "Выбрать",
    "With selected": "С выбранными",
    "Set status": "Установить статус",
    "Assign to me": "Назначить на меня",
    "Description": "Описание",
    "Files": "Файлы",
    "Attach files (up to 10)": "Прикрепить файлы (до 10)",
    "Submit incident": "Отправить инцидент",
    "Choose a category": "Выберите категорию",
    "This field is required.": "Обязательное поле.",
    "Please correct the fields marked below.": "Исправьте отмеченные ниже поля.",
    "History": "История",
    "Reply": "Ответ",
    "Send reply": "Отправить ответ",
    "Write a reply": "Напишите ответ",
    "Visibility": "Видимость",
    "Public reply (the client sees it)": "Публичный ответ (видит клиент)",
    "Internal note (staff only)": "Внутренняя заметка (только сотрудники)",
    "Internal": "Внутренняя",
    "Show all": "Показать полностью",
    "Show less": "Свернуть",
    "Due times": "Сроки",
    "How the due times were calculated": "Как рассчитаны сроки",
    "Due times are being calculated.": "Сроки рассчитываются.",
    "left": "осталось",
    "overdue by": "просрочено на",
    "met": "выполнено",
    "breached": "нарушено",
    "paused": "приостановлено",
    "running": "идёт",
    "stopped": "остановлено",
    "response": "реакция",
    "resolution": "решение",
    "This incident is waiting for you": "Инцидент ждёт вашего ответа",
    "Please reply below; the clock is paused until you do.": (
        "Ответьте ниже — до вашего ответа отсчёт сроков приостановлен."
    ),
    "The incident is resolved. Is everything working?": "Инцидент решён. Всё работает?",
    "Confirm resolution": "Подтвердить решение",
    "Reopen": "Открыть повторно",
    "Reason (optional)": "Причина (необязательно)",
    "Rate the service": "Оцените обслуживание",
    "Comment (optional)": "Комментарий (необязательно)",
    "Send rating": "Отправить оценку",
    "Your rating": "Ваша оценка",
    "Requester": "Заявитель",
    "Organization": "Организация",
    "Channel": "Канал",
    "Change": "Изменить",
    "Save": "Сохранить",
    "Assign": "Назначить",
    "Choose an agent": "Выберите агента",
    "Reason": "Причина",
    "Details": "Сведения",
    "Actions": "Действия",
    "Saved.": "Сохранено.",
    "Reply sent.": "Ответ отправлен.",
    "Status changed.": "Статус изменён.",
    "Thank you for your rating.": "Спасибо за оценку.",
    "Incident {number} filed.": "Инцидент {number} зарегистрирован.",
    "Assigned.": "Назначено.",
    "{done} of {total} incidents changed.": "Изменено инцидентов: {done} из {total}.",
    "Select at least one incident.": "Выберите хотя бы один инцидент.",
    "Something went wrong": "Что-то пошло не так",
    "Back to incidents": "К списку инцидентов",
    "Not found": "Не найдено",
    "Access denied": "Доступ запрещён",
    "The page you asked for does not exist or is not yours to see.": (
        "Запрошенная страница не существует или недоступна вам."
    ),
    "A service is not responding; try again shortly.": (
        "Один из сервисов не отвечает; повторите чуть позже."
    ),
    "Agents' load": "Загрузка агентов",
    "Agent": "Агент",
    "Load": "Загрузка",
    "Capacity": "Ёмкость",
    "Presence": "Присутствие",
    "Skills": "Навыки",
    "Last assigned": "Последнее назначение",
    "Backlog": "Очередь",
    "Nothing is waiting.": "Очередь пуста.",
    "Waiting since": "Ждёт с",
    "all categories": "все категории",
    "online": "в сети",
    "away": "отошёл",
    "offline": "не в сети",
    "Breach rate": "Доля нарушений",
    "By category": "По категориям",
    "By organization": "По организациям",
    "Total": "Всего",
    "Responded": "С реакцией",
    "Resolved": "Решено",
    "Breached": "С нарушением",
    "Response median": "Медиана реакции",
    "Resolution median": "Медиана решения",
    "Resolution p90": "90-й перцентиль решения",
    "Since": "С",
    "Until": "По",
    "No data for this period.": "Нет данных за период.",
    "Times are business time.": "Время указано в рабочих часах.",
    "Planned": "План",
    "Actual": "Факт",
    "Rating": "Оценка",
    "Attachments": "Вложения",
    "by": "автор",
    "Staff": "Сотрудник",
    "System": "Система",
    "critical": "критический",
    "high": "высокий",
    "normal": "обычный",
    "low": "низкий",
    "new": "новый",
    "assigned": "назначен",
    "in_progress": "в работе",
    "waiting_on_client": "ждёт клиента",
    "resolved": "решён",
    "reopened": "открыт повторно",
    "closed": "закрыт",
    "portal": "портал",
    "api": "API",
    "email": "почта",
    "phone": "телефон",
    "Title of the problem": "Кратко о проблеме",
    "What happened, what you expected, since when": (
        "Что случилось, что ожидалось, с какого момента"
    ),
    "Admin": "Администрирование",
}

# English needs words only where a key is a stored value, not a phrase.
_EN: dict[str, str] = {
    "in_progress": "in progress",
    "waiting_on_client": "waiting on client",
    "api": "API",
}

_CATALOGUE: dict[str, dict[str, str]] = {"en": _EN, "ru": _RU}


def translator(language: str) -> Callable[..., str]:
    """`t("Page {page} of {pages}", page=1, pages=3)` in the given language."""
    words = _CATALOGUE.get(language, {})

    def translate(text: str, **values: object) -> str:
        phrase = words.get(text, text)
        return phrase.format(**values) if values else phrase

    return translate


def pick_language(cookie: str | None, user_locale: str | None, accept: str | None) -> str:
    """An explicit switch wins, then the user's own locale, then the browser's."""
    if cookie in LANGUAGES:
        return cookie
    if user_locale in LANGUAGES:
        return user_locale
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"
