"""The portal's words in English and Russian. Keys are short English phrases so a
missing translation still reads sensibly."""

from __future__ import annotations

from collections.abc import Callable

from ..domain.agents.words import RU as AGENTS_RU
from ..domain.equipment.words import RU as EQUIPMENT_RU
from ..domain.incidents.words import RU as INCIDENTS_RU
from ..domain.knowledge.words import RU as KNOWLEDGE_RU
from ..domain.mail.words import RU as MAIL_RU
from ..domain.ops.words import RU as OPS_RU
from ..domain.packages.words import RU as PACKAGES_RU
from ..domain.profile.words import RU as PROFILE_RU
from ..domain.sla.words import EN as SLA_EN
from ..domain.sla.words import RU as SLA_RU
from ..domain.staffing.words import RU as STAFFING_RU
from ..refusal_words import REFUSALS_RU

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
    "Next reply due": "Срок следующего ответа",
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
    "Now: {status}": "Сейчас: {status}",
    "String should have at least 12 characters": "Не короче 12 символов",
    "String should match pattern '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'": (
        "Это не адрес электронной почты"
    ),
    "Incident {number} registered via {channel}.": (
        "Обращение {number} зарегистрировано, канал: {channel}."
    ),
    "Attached: {files}": "Вложения: {files}",
    "Status changed from {old} to {new}.": "Статус изменён: {old} → {new}.",
    "Rated {score}/5.": "Оценка {score}/5.",
    "Assigned: {reason}": "Назначено: {reason}",
    "Deadlines under {contract}: first response by {response}, resolution by {resolution}.": (
        "Сроки по договору {contract}: первый ответ до {response}, решение до {resolution}."
    ),
    "Deadlines moved under {contract}: {changes}.": (
        "Сроки по договору {contract} сдвинулись: {changes}."
    ),
    "first response {old} → {new}": "первый ответ {old} → {new}",
    "resolution {old} → {new}": "решение {old} → {new}",
    "Choose the new status.": "Выберите новый статус.",
    "The incident cannot move to that status now; allowed: {allowed}.": (
        "Обращение сейчас нельзя перевести в этот статус; можно: {allowed}."
    ),
    "Attach files (up to 10, {limit} each)": "Прикрепить файлы (до 10, не больше {limit} каждый)",
    "Files (up to 10, {limit} each)": "Файлы (до 10, не больше {limit} каждый)",
    "“{name}” is larger than the limit of {limit} per file; nothing was saved.": (
        "«{name}» больше допустимых {limit} на файл; ничего не сохранено."
    ),
    "The files are larger than the limit of {limit} per file.": (
        "Файлы больше допустимых {limit} на файл."
    ),
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
    "Temporarily unavailable": "Временно недоступно",
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
    "Planned vs actual": "План и факт",
    "Planned: the median target of the incidents' rules; actual: the median measured. In the "
    "chart, grey is planned, blue actual (red when later than planned); the upper pair is the "
    "first response, the lower the resolution.": (
        "План — медиана нормативов по правилам инцидентов; факт — измеренная медиана. На "
        "графике серым показан план, синим факт (красным, если позже плана); верхняя пара — "
        "первая реакция, нижняя — решение."
    ),
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
    # --- administration ---
    "Administration": "Администрирование",
    "Section": "Раздел",
    "What it holds": "Что здесь",
    "Organizations": "Организации",
    "Users": "Пользователи",
    "Categories": "Категории",
    "Contracts": "Договоры",
    "Calendars": "Календари",
    "Client companies, their account managers, contracts and IP allow-lists.": (
        "Компании-клиенты, их аккаунт-менеджеры, договоры и разрешённые IP-адреса."
    ),
    "Clients and staff, their roles, languages and scopes.": (
        "Клиенты и сотрудники, их роли, языки и области видимости."
    ),
    "The three-level tree of types, categories and subcategories.": (
        "Трёхуровневое дерево типов, категорий и подкатегорий."
    ),
    "Service packages: targets per category and priority, in versions.": (
        "Пакеты услуг: нормативы по категориям и приоритетам, с версиями."
    ),
    "Time zones, working hours and holidays for business time.": (
        "Часовые пояса, рабочие часы и праздники для расчёта рабочего времени."
    ),
    "Nothing here yet.": "Пока ничего нет.",
    "Name": "Название",
    "Edit": "Изменить",
    "Cancel": "Отмена",
    "yes": "да",
    "no": "нет",
    "New organization": "Новая организация",
    "Edit organization": "Организация",
    "Account manager": "Аккаунт-менеджер",
    "Contract": "Договор",
    "Default contract": "Договор по умолчанию",
    "IP allow-list": "Разрешённые IP-адреса",
    "any address": "любой адрес",
    "Add user": "Добавить пользователя",
    "Users of this organization": "Пользователи организации",
    "— none —": "— нет —",
    "One network per line in CIDR form, e.g. 203.0.113.0/24. Empty: clients may sign in "
    "from any address.": (
        "По одной сети в строке в формате CIDR, например 203.0.113.0/24. Пусто — клиенты "
        "могут входить с любого адреса."
    ),
    "Organization {name} saved.": "Организация «{name}» сохранена.",
    "New user": "Новый пользователь",
    "Edit user": "Пользователь",
    "Login": "Логин",
    "A login never changes.": "Логин не меняется.",
    "New password": "Новый пароль",
    "Leave empty to keep the current one.": "Оставьте пустым, чтобы не менять.",
    "E-mail": "Эл. почта",
    "Phone": "Телефон",
    "For SMS notifications, e.g. +7 495 123-45-67.": (
        "Для SMS-уведомлений, например +7 495 123-45-67."
    ),
    "Role": "Роль",
    "Scope": "Видимость",
    "Active": "Активен",
    "Active (may sign in)": "Активен (может входить)",
    "Clients only": "Только для клиентов",
    "— none (staff) —": "— нет (сотрудник) —",
    "A client belongs to one organization and sees either the incidents it filed or all "
    "of its organization's.": (
        "Клиент относится к одной организации и видит либо свои инциденты, либо все "
        "инциденты организации."
    ),
    "scope_own": "свои инциденты",
    "scope_organization": "вся организация",
    "client": "клиент",
    "agent": "агент",
    "manager": "менеджер",
    "head": "руководитель",
    "admin": "администратор",
    "operator": "оператор",
    "User {name} saved.": "Пользователь {name} сохранён.",
    "Letters, digits and . _ @ - only.": "Только латинские буквы, цифры и . _ @ -.",
    "At least 12 characters.": "Не короче 12 символов.",
    "Not an e-mail address.": "Это не адрес электронной почты.",
    "Digits, spaces and + ( ) - only.": "Только цифры, пробелы и + ( ) -.",
    "A colour like #1e88e5.": "Цвет вида #1e88e5.",
    "Lower-case letters, digits, - and _, starting with a letter or digit.": (
        "Строчные латинские буквы, цифры, - и _; начинается с буквы или цифры."
    ),
    "a client belongs to an organization": "клиент должен относиться к организации",
    "a client needs a scope (own or organization)": (
        "для клиента нужна видимость (свои или вся организация)"
    ),
    "staff do not belong to a client organization": (
        "сотрудник не относится к организации-клиенту"
    ),
    "only clients have a scope": "видимость задаётся только клиентам",
    "already taken": "уже занят",
    "an organization with this name exists": "организация с таким названием уже есть",
    "no such staff member": "нет такого сотрудника",
    "no such organization": "нет такой организации",
    "not yourself": "нельзя для самого себя",
    "New type": "Новый тип",
    "New category": "Новая категория",
    "Edit category": "Категория",
    "Code": "Код",
    "Level": "Уровень",
    "type": "тип",
    "category": "категория",
    "subcategory": "подкатегория",
    "Colour": "Цвет",
    "Escalation contact": "Контакт для эскалации",
    "Add a category": "Добавить категорию",
    "Add a subcategory": "Добавить подкатегорию",
    "Inside": "Внутри",
    "A new type (top level).": "Новый тип (верхний уровень).",
    "Three levels: type › category › subcategory. A node keeps its code and place once created.": (
        "Три уровня: тип › категория › подкатегория. Код и место узла после создания не меняются."
    ),
    "A node keeps its code and place once created.": (
        "Код и место узла после создания не меняются."
    ),
    "Incidents of this category are marked with it.": "Этим цветом отмечаются инциденты.",
    "Category {name} saved.": "Категория «{name}» сохранена.",
    "already used under this parent": "уже используется у этого родителя",
    "unknown category": "неизвестная категория",
    "the tree has three levels at most": "в дереве не больше трёх уровней",
    "New contract": "Новый договор",
    "Version": "Версия",
    "Versions": "Версии",
    "version {version}": "версия {version}",
    "Default": "По умолчанию",
    "Targets": "Нормативы",
    "First response": "Первая реакция",
    "Resolution": "Решение",
    "Reminder": "Напоминание",
    "any category": "любая категория",
    "any priority": "любой приоритет",
    "Escalation ladder": "Лестница эскалации",
    "After": "Через",
    "Notify": "Уведомить",
    "Reassign": "Переназначить",
    "Priorities": "Приоритеты",
    "{days} business days": "рабочих дней: {days}",
    "1 business day": "1 рабочий день",
    "group_head": "руководитель группы",
    "department_head": "руководитель отдела",
    "escalation_contact": "контакт для эскалации",
    "Quotas": "Квоты",
    "month": "месяц",
    "New version": "Новая версия",
    "Version 1": "Версия 1",
    "Saving adds version {next}; incidents keep the version they were registered under. "
    "The escalation ladder and quotas are kept from version {version}.": (
        "Сохранение добавит версию {next}; инциденты сохраняют версию, по которой были "
        "зарегистрированы. Лестница эскалации и квоты берутся из версии {version}."
    ),
    "A new contract gets the default escalation ladder.": (
        "Новый договор получает стандартную лестницу эскалации."
    ),
    "Choose a calendar": "Выберите календарь",
    "Default contract (for organizations without one)": (
        "Договор по умолчанию (для организаций без договора)"
    ),
    "Durations like 30m, 8h, 1d 4h in business time. Reminder: a share of the target "
    "(75%) or a lead before the due time (2h). The most specific rule wins; leave a row "
    "empty to drop it.": (
        "Длительности вида 30m, 8h, 1d 4h (или 30м, 8ч, 1д) в рабочем времени. Напоминание: "
        "доля норматива (75%) или время до срока (2h). Побеждает самое точное правило; "
        "пустая строка удаляет правило."
    ),
    "Save as a new version": "Сохранить как новую версию",
    "Create contract": "Создать договор",
    "Give the response and resolution times.": "Укажите сроки реакции и решения.",
    "A duration like 30m, 8h or 2d.": "Длительность вида 30m, 8h или 2d.",
    "A share like 75% or a lead like 2h.": "Доля вида 75% или время вида 2h.",
    "The share must be between 0% and 100%.": "Доля должна быть от 0% до 100%.",
    "Must be more than zero and at most ten years.": "Больше нуля и не больше десяти лет.",
    "A contract needs at least one target.": "В договоре нужен хотя бы один норматив.",
    "Contract {name} saved as version {version}.": (
        "Договор «{name}» сохранён как версия {version}."
    ),
    "no such calendar": "нет такого календаря",
    "New calendar": "Новый календарь",
    "Edit calendar": "Календарь",
    "Time zone": "Часовой пояс",
    "An IANA name, e.g. Europe/Moscow or UTC.": "Имя IANA, например Europe/Moscow или UTC.",
    "Open 24/7 (every hour counts)": "Круглосуточно (считается каждый час)",
    "Working hours": "Рабочие часы",
    "Local time, several intervals a day separated by commas, e.g. 09:00-13:00, "
    "14:00-18:00; 24:00 is midnight. Empty: a day off.": (
        "Местное время, несколько интервалов в день через запятую, например 09:00-13:00, "
        "14:00-18:00; 24:00 — полночь. Пусто — выходной."
    ),
    "Holidays": "Праздники",
    "One date per line, YYYY-MM-DD.": "По одной дате в строке, ГГГГ-ММ-ДД.",
    "Business day": "Рабочий день",
    "24/7": "круглосуточно",
    "New hours apply to incidents registered from now on; earlier ones keep theirs.": (
        "Новые часы действуют для инцидентов, зарегистрированных с этого момента; прежние "
        "сохраняют свои."
    ),
    "Not working hours: {value}. Write e.g. 09:00-13:00, 14:00-18:00.": (
        "Не рабочие часы: {value}. Пишите, например, 09:00-13:00, 14:00-18:00."
    ),
    "Not a date: {value}. Write dates as YYYY-MM-DD.": (
        "Не дата: {value}. Пишите даты как ГГГГ-ММ-ДД."
    ),
    "Unknown time zone; pick one from the list, e.g. Europe/Moscow.": (
        "Неизвестный часовой пояс; выберите из списка, например Europe/Moscow."
    ),
    "A 24/7 calendar has no working hours or holidays: clear them or untick 24/7.": (
        "У круглосуточного календаря нет рабочих часов и праздников: очистите их или "
        "снимите отметку «Круглосуточно»."
    ),
    "Give working hours for at least one day, or tick 24/7.": (
        "Укажите рабочие часы хотя бы для одного дня или отметьте «Круглосуточно»."
    ),
    "Calendar {name} saved.": "Календарь «{name}» сохранён.",
    "Monday": "Понедельник",
    "Tuesday": "Вторник",
    "Wednesday": "Среда",
    "Thursday": "Четверг",
    "Friday": "Пятница",
    "Saturday": "Суббота",
    "Sunday": "Воскресенье",
    "Mon": "Пн",
    "Tue": "Вт",
    "Wed": "Ср",
    "Thu": "Чт",
    "Fri": "Пт",
    "Sat": "Сб",
    "Sun": "Вс",
    "Saved filters": "Сохранённые фильтры",
    "Delete": "Удалить",
    "No saved filters yet.": "Сохранённых фильтров пока нет.",
    "Name for these filters": "Название для этих фильтров",
    "Save filters": "Сохранить фильтры",
    "Delete saved filter {name}": "Удалить сохранённый фильтр «{name}»",
    "Filters saved as “{name}”.": "Фильтры сохранены как «{name}».",
    "Saved filter deleted.": "Сохранённый фильтр удалён.",
    "Give the saved filter a name.": "Дайте сохраняемому фильтру название.",
    "The name may be at most 80 characters.": "Название может быть не длиннее 80 символов.",
    "The name must not contain control characters.": (
        "Название не должно содержать управляющих символов."
    ),
    "You already have a saved filter with this name.": (
        "У вас уже есть сохранённый фильтр с таким названием."
    ),
    "Set at least one filter before saving.": "Задайте хотя бы один фильтр перед сохранением.",
    "You can keep at most 50 saved filters; delete one first.": (
        "Можно хранить не больше 50 сохранённых фильтров; сначала удалите один."
    ),
}

# English needs words only where a key is a stored value, not a phrase.
_EN: dict[str, str] = {
    "notify:incident_registered": "An incident is registered",
    "notify:incident_assigned": "An incident is assigned to me",
    "notify:public_reply": "A new reply",
    "notify:waiting_on_client": "My answer is needed",
    "notify:resolved": "An incident is resolved",
    "notify:reopened": "An incident is reopened",
    "notify:reminder": "A deadline reminder",
    "notify:escalation": "An escalation",
    "notify:breach": "A deadline is breached",
    "notify:complaint": "A client's complaint",
    "notify:low_rating": "A client's low rating",
    "notify:quota_used_up": "A package quota is used up",
    "in_progress": "in progress",
    "waiting_on_client": "waiting on client",
    "api": "API",
    "onsite": "on-site visit",
    "scope_own": "own incidents",
    "scope_organization": "whole organization",
    "group_head": "group head",
    "department_head": "department head",
    "escalation_contact": "escalation contact",
}

# The services' refusals first, so that a page's own word always wins over one of them.
_RU.update({k: v for k, v in REFUSALS_RU.items() if k not in _RU})
# Each area of the gateway keeps its own words beside its pages.
_RU.update(STAFFING_RU)
_RU.update(PACKAGES_RU)
_RU.update(KNOWLEDGE_RU)
_RU.update(EQUIPMENT_RU)
_RU.update(OPS_RU)
_RU.update(PROFILE_RU)
_RU.update(MAIL_RU)
_RU.update(AGENTS_RU)
_RU.update(SLA_RU)
_EN.update(SLA_EN)
_RU.update(INCIDENTS_RU)

_CATALOGUE: dict[str, dict[str, str]] = {"en": _EN, "ru": _RU}


# What `translator` gives: `t(phrase, **values)` in one language.
Translate = Callable[..., str]


def translator(language: str) -> Translate:
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
    return accepted_language(accept) or "en"


def accepted_language(accept: str | None) -> str | None:
    """The first of the desk's languages an `Accept-Language` header names, if any."""
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return None
