"""The profile page's words in Russian (English is the key itself)."""

from __future__ import annotations

RU: dict[str, str] = {
    "Your profile": "Ваш профиль",
    "Times are shown in it; empty: {zone}.": "В нём показываются время и сроки; пусто — {zone}.",
    "Your name": "Имя",
    "Notifications": "Уведомления",
    "Name, contact and language": "Имя, контакты и язык",
    "Notifications are sent here.": "Сюда приходят уведомления.",
    "Current password": "Текущий пароль",
    "New password again": "Новый пароль ещё раз",
    "Change password": "Сменить пароль",
    "When": "Когда",
    "Your profile is saved.": "Профиль сохранён.",
    "The two new passwords differ.": "Новые пароли не совпадают.",
    "This is not your current password.": "Это не ваш текущий пароль.",
    "Your password is changed; your other sessions are signed out.": (
        "Пароль изменён; другие ваши сеансы завершены."
    ),
    "Your notification choices are saved.": "Настройки уведомлений сохранены.",
    "Nothing to change.": "Изменять нечего.",
    "notify:incident_registered": "Обращение зарегистрировано",
    "notify:incident_assigned": "Обращение назначено мне",
    "notify:public_reply": "Новый ответ",
    "notify:waiting_on_client": "Нужен мой ответ",
    "notify:resolved": "Обращение решено",
    "notify:reopened": "Обращение открыто снова",
    "notify:reminder": "Напоминание о сроке",
    "notify:escalation": "Эскалация",
    "notify:breach": "Срок нарушен",
}
