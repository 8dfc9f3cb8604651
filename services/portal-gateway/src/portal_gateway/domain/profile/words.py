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
    # Password reset by e-mail link
    "Forgot your password?": "Забыли пароль?",
    "Choose a new password": "Новый пароль",
    (
        "Type your login or e-mail: we send a link to choose a new password to the "
        "account's e-mail. It works once, for {minutes} minutes."
    ): (
        "Введите логин или e-mail: мы отправим на почту учётной записи ссылку, "
        "по которой можно задать новый пароль. Она действует один раз, {minutes} минут."
    ),
    "Login or e-mail": "Логин или e-mail",
    "Send the link": "Отправить ссылку",
    "Back to sign in": "Вернуться ко входу",
    "Check your mail": "Проверьте почту",
    (
        "If an account has this login or e-mail, a link to choose a new password is on "
        "its way to its e-mail. It works once, for {minutes} minutes."
    ): (
        "Если есть учётная запись с таким логином или e-mail, на её почту уже идёт "
        "ссылка для нового пароля. Она действует один раз, {minutes} минут."
    ),
    "Too many requests. Try again in {seconds} s.": (
        "Слишком много запросов. Повторите через {seconds} с."
    ),
    "Setting it signs you out everywhere.": "После этого все ваши сеансы будут завершены.",
    "Set the new password": "Задать новый пароль",
    "Ask for a new link": "Запросить новую ссылку",
    "This link has already been used. Ask for a new one if you need it.": (
        "Эта ссылка уже использована. Если нужно, запросите новую."
    ),
    "This link has expired. Ask for a new one.": "Срок действия ссылки истёк. Запросите новую.",
    "This link is not valid. Ask for a new one.": "Эта ссылка недействительна. Запросите новую.",
    "Your new password is set; sign in with it.": "Новый пароль задан; войдите с ним.",
    "notify:complaint": "Жалоба клиента",
    "notify:low_rating": "Низкая оценка клиента",
    "notify:quota_used_up": "Лимит пакета исчерпан",
}
