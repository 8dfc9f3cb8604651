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
}
