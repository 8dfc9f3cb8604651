"""The knowledge area's words in Russian (keys are the English phrases)."""

from __future__ import annotations

RU: dict[str, str] = {
    "Knowledge base": "База знаний",
    "Search the knowledge base": "Поиск по базе знаний",
    "Find": "Найти",
    "All categories": "Все категории",
    "No articles match.": "Подходящих статей нет.",
    "{total} articles": "Статей: {total}",
    "Updated": "Обновлено",
    "Bound to": "Категории",
    "Version": "Версия",
    "internal": "внутренняя",
    "public": "публичная",
    "draft": "черновик",
    "published": "опубликована",
    "archived": "в архиве",
    "Back to the knowledge base": "Назад к базе знаний",
    "Answers that may help": "Ответы, которые могут помочь",
    "Show answers": "Показать ответы",
    "Choose a category or type the title to see answers that may help.": (
        "Выберите категорию или введите тему — покажем ответы, которые могут помочь."
    ),
    "No answer fits yet: file the incident and we will help.": (
        "Подходящих ответов пока нет: отправьте инцидент, и мы поможем."
    ),
    "Did this help?": "Это помогло?",
    "Helped": "Помогло",
    "Did not help": "Не помогло",
    "You said it helped.": "Вы отметили, что это помогло.",
    "You said it did not help.": "Вы отметили, что это не помогло.",
    "Read the article": "Читать статью",
    "Glad it helped. You need not file an incident.": (
        "Рады, что помогло. Инцидент можно не отправлять."
    ),
    "Thank you: we will improve it.": "Спасибо, мы улучшим статью.",
    "Knowledge base report": "Отчёт по базе знаний",
    "Categories with many requests and no helpful article": (
        "Категории с большим числом обращений и без полезной статьи"
    ),
    "{count} requests": "Обращений: {count}",
    "No gaps: every busy category has an article that helped.": (
        "Пробелов нет: в каждой загруженной категории есть статья, которая помогла."
    ),
    "By category": "По категориям",
    "By article": "По статьям",
    "Requests": "Обращения",
    "First-contact resolution": "Решено с первого контакта",
    "Deflected": "Обошлись без обращения",
    "Deflected share": "Доля без обращения",
    "Helpful articles": "Полезные статьи",
    "Nothing in this period.": "За этот период ничего нет.",
    "Article": "Статья",
    "Shown": "Показано",
    "Answered": "Ответов",
    "Articles that may help": "Статьи, которые могут помочь",
    "Insert into the reply": "Вставить в ответ",
    "admins and heads only": "только для администраторов и руководителей",
    # Opening, deflecting, linking an article to a reply, the report's new columns.
    "It solved my problem: do not file": "Проблема решена — не отправлять",
    "Glad it solved your problem. Nothing was filed.": (
        "Рады, что проблема решена. Инцидент не отправлен."
    ),
    "Only a request not filed yet can be spared.": (
        "Так можно ответить только до отправки обращения."
    ),
    "Opened": "Открыто",
    "Resolved with it": "Решено с ней",
    "Resolved with an article": "Решено статьёй",
    "Article the reply answers with": "Статья, которой вы отвечаете",
    "No article": "Без статьи",
    "The knowledge base article of this reply": "Статья базы знаний к этому ответу",
    "no such article": "такой статьи нет",
    "only a published public article can be linked to a reply": (
        "к ответу можно привязать только опубликованную публичную статью"
    ),
    "only a public reply by staff links an article": (
        "статью привязывает только публичный ответ сотрудника"
    ),
    # The editors' pages.
    "Manage articles": "Управление статьями",
    "New article": "Новая статья",
    "Edit article": "Правка статьи",
    "Open the article": "Открыть статью",
    "In English": "По-английски",
    "In Russian": "По-русски",
    "Text (Markdown)": "Текст (Markdown)",
    "Markdown: **bold**, *italic*, lists, links. HTML is shown as text.": (
        "Markdown: **жирный**, *курсив*, списки, ссылки. HTML показывается как текст."
    ),
    "A language left empty keeps the text it has.": "Незаполненный язык сохраняет прежний текст.",
    "Who reads it": "Кто читает",
    "Clients and staff (public)": "Клиенты и сотрудники (публичная)",
    "Staff only (internal)": "Только сотрудники (внутренняя)",
    "Categories it answers": "Категории, на вопросы которых она отвечает",
    "Keywords": "Ключевые слова",
    "Separated by commas.": "Через запятую.",
    "Preview": "Предпросмотр",
    "Press Preview to see the article as readers will.": (
        "Нажмите «Предпросмотр», чтобы увидеть статью так, как её увидят читатели."
    ),
    "A text needs its title.": "У текста должен быть заголовок.",
    "Write the article in at least one language.": "Напишите статью хотя бы на одном языке.",
    "Someone else saved this article meanwhile (it is at version {version} now). "
    "What you typed is kept below: open the article again to see their change, "
    "then make yours on it.": (
        "Пока вы редактировали, статью сохранил кто-то другой (теперь это версия {version}). "
        "Ваш текст сохранён ниже: откройте статью заново, чтобы увидеть чужие изменения, "
        "и внесите свои поверх них."
    ),
    "Article saved: version {version}.": "Статья сохранена: версия {version}.",
    "Languages": "Языки",
    "All": "Все",
}
