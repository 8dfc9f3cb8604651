"""The Russian words of the refusals the services and the gateway answer with (the API's
`detail` and its fields' messages, and the pages' error lines): whole sentences only, so
no page word is shadowed."""

from __future__ import annotations

REFUSALS_RU: dict[str, str] = {
    # Who may do what
    "admins only": "Только для администраторов",
    "admins and operators only": "Только для администраторов и операторов",
    "only admins and heads edit the knowledge base": (
        "Базу знаний редактируют только администраторы и руководители"
    ),
    "only admins replay dead letters": (
        "Повторно отправлять недоставленные сообщения могут только администраторы"
    ),
    "only the agent itself or an admin sets presence": (
        "Статус присутствия меняет только сам сотрудник или администратор"
    ),
    "only the requester may confirm or reopen": (
        "Подтвердить решение или открыть обращение снова может только его автор"
    ),
    "only the requester rates an incident": "Оценку ставит только автор обращения",
    "the delivery log is for staff": "Журнал уведомлений доступен только сотрудникам",
    "clients file incidents for themselves": "Клиент регистрирует обращения только от себя",
    "clients file incidents for themselves only": ("Клиент регистрирует обращения только от себя"),
    "clients file through the API; staff record e-mail and phone": (
        "Клиенты подают обращения через портал или API; обращения по почте и телефону "
        "записывают сотрудники"
    ),
    "the portal files incidents for clients": "Через портал обращения подают клиенты",
    "staff must name the client who asks": "Сотрудник должен указать клиента, который обратился",
    "your organization does not allow access from this address": (
        "Ваша организация не разрешает вход с этого адреса"
    ),
    "wrong username or password": "Неверный логин или пароль",
    "missing, invalid or expired credentials": (
        "Нет учётных данных, они неверны или устарели: войдите снова"
    ),
    "missing or wrong CSRF token": (
        "Форма устарела (нет или неверный CSRF-токен): обновите страницу и повторите"
    ),
    # Not found
    "article not found": "Статья не найдена",
    "attachment not found": "Вложение не найдено",
    "calendar not found": "Календарь не найден",
    "category not found": "Категория не найдена",
    "contract not found": "Договор не найден",
    "incident not found": "Обращение не найдено",
    "notification not found": "Уведомление не найдено",
    "organization not found": "Организация не найдена",
    "suggestion not found": "Подсказка не найдена",
    "user not found": "Пользователь не найден",
    "no such client": "Такого клиента нет",
    "no such staff user": "Такого сотрудника нет",
    "no such saved filter": "Такого сохранённого фильтра нет",
    "no such mail in quarantine": "Такого письма в карантине нет",
    "no agent profile": "У пользователя нет профиля исполнителя",
    "not a dead-letter queue of this desk": "Это не очередь недоставленных сообщений этой службы",
    "the file is missing from the store": "Файл отсутствует в хранилище",
    # The incident's state
    "the incident is closed; file a new one": "Обращение закрыто: зарегистрируйте новое",
    "closed incidents take no entries": "В закрытое обращение нельзя писать",
    "the incident is not resolved yet": "Обращение ещё не решено",
    "the incident is resolved or closed": "Обращение решено или закрыто",
    "the incident was reassigned meanwhile; try again": (
        "Обращение тем временем переназначили: повторите"
    ),
    "an incident is rated after its resolution": "Оценку ставят после решения обращения",
    "no deadlines for this incident yet; try again shortly": (
        "Сроки для обращения ещё не рассчитаны: повторите чуть позже"
    ),
    "no category to file under yet": "Пока нет ни одной категории для обращений",
    "the agent's user is deactivated: they stay offline": (
        "Учётная запись сотрудника отключена: он остаётся не в сети"
    ),
    # Requests and their fields
    "invalid request": "Неверный запрос",
    "invalid preferences": "Неверные настройки уведомлений",
    "invalid equipment": "Неверные данные оборудования",
    "send the body as application/json": "Отправьте тело запроса как application/json",
    "send application/json or multipart/form-data": (
        "Отправьте application/json или multipart/form-data"
    ),
    "this Idempotency-Key was used for a different request": (
        "Этот Idempotency-Key уже использован для другого запроса"
    ),
    "already used for another request": "Уже использован для другого запроса",
    "name at least one field to change": "Укажите хотя бы одно поле для изменения",
    "must not be blank": "Не может быть пустым",
    "must not be null": "Не может быть пустым (null)",
    "must be a whole number": "Нужно целое число",
    "must be true or false": "Нужно значение true или false",
    "must be after since": "Должно быть позже начала периода (since)",
    "must not be before started_at": "Не может быть раньше начала (started_at)",
    "must lie between the years 1970 and 9000": "Год должен быть между 1970 и 9000",
    "must be an active head or admin": "Нужен действующий руководитель или администратор",
    "an id, me or none": "Идентификатор, me или none",
    "agent ids must be unique": "Идентификаторы сотрудников не должны повторяться",
    "incident ids must be unique": "Идентификаторы обращений не должны повторяться",
    "a sibling already has this code": "На этом уровне уже есть категория с таким кодом",
    "category exists": "Такая категория уже есть",
    "at most three levels": "Не больше трёх уровней",
    "one text per language": "Один текст на каждый язык",
    "article_id and article_version go together": ("article_id и article_version указывают вместе"),
    "an answer that did not help solves nothing": "Ответ, который не помог, не решает вопрос",
    "solved: an answer that did not help solves nothing": (
        "solved: ответ, который не помог, не решает вопрос"
    ),
    "give a time zone offset, e.g. +03:00 or Z": (
        "Укажите смещение часового пояса, например +03:00 или Z"
    ),
    "give a time zone offset, e.g. Z": "Укажите смещение часового пояса, например Z",
    "give a time zone offset (e.g. 2026-03-09T09:00:00+03:00)": (
        "Укажите смещение часового пояса (например 2026-03-09T09:00:00+03:00)"
    ),
    "an instant must carry its time zone": "Момент времени должен включать часовой пояс",
    "an interval cannot end before it starts": "Интервал не может закончиться раньше начала",
    "the window must end after it starts": "Окно должно заканчиваться позже начала",
    "the interval is at least one month": "Интервал — не меньше месяца",
    "give either reminder_before or reminder_share, not both": (
        "Укажите reminder_before или reminder_share, но не оба"
    ),
    "give exactly one of after (seconds) or after_business_days": (
        "Укажите ровно одно: after (секунды) или after_business_days"
    ),
    "after must be positive": "after должно быть больше нуля",
    "after_business_days must be positive": "after_business_days должно быть больше нуля",
    "service_level must lie strictly between 0 and 1": (
        "service_level должен быть строго между 0 и 1"
    ),
    "used must not be negative": "Использовано не может быть меньше нуля",
    "a client principal needs a scope": "Для клиента нужна область видимости",
    "a client principal needs an organization_id": "Для клиента нужна организация",
    "equipment_id: names another organization's device": (
        "equipment_id: это оборудование другой организации"
    ),
    "the mail names no sender address (From)": "В письме нет адреса отправителя (From)",
    "try again": "Повторите попытку",
}
