"""The contract page's words for its escalation ladder and channel terms, in Russian
(English is the key itself)."""

from __future__ import annotations

RU: dict[str, str] = {
    "Change the escalation ladder": "Изменить лестницу эскалации",
    (
        "Saving adds version {next} with this ladder; its targets and channels stay as in "
        "version {version}. Each step counts business time from registration; leave “After” "
        "empty to drop a step, every row empty for no escalation."
    ): (
        "Сохранение добавит версию {next} с этой лестницей; нормативы и каналы останутся "
        "как в версии {version}. Каждый шаг отсчитывает рабочее время от регистрации; "
        "очистите «Через», чтобы убрать шаг, или все строки — чтобы эскалации не было."
    ),
    "Unit": "Единица",
    "business days": "рабочих дней",
    "business time (8h, 30m)": "рабочего времени (8h, 30m)",
    "none ticked: any priority": "ничего не отмечено — любой приоритет",
    "Save the ladder as a new version": "Сохранить лестницу как новую версию",
    "A number of business days, like 1 or 0.5.": "Число рабочих дней, например 1 или 0,5.",
    "Choose who is told.": "Выберите, кого уведомить.",
    "Must be more than zero and at most a year.": "Больше нуля и не больше года.",
    "Channels and quotas": "Каналы и лимиты",
    (
        "Saving adds version {next} with these channels; its targets and ladder stay as in "
        "version {version}. An empty quota is unlimited; terms of a single category are kept "
        "as they are."
    ): (
        "Сохранение добавит версию {next} с этими каналами; нормативы и лестница останутся "
        "как в версии {version}. Пустой лимит — без ограничений; условия отдельных категорий "
        "сохраняются как есть."
    ),
    "Included": "Входит",
    "Requests a month": "Обращений в месяц",
    "When used up": "Когда исчерпан",
    "Hours": "Часы работы",
    "unlimited": "без ограничений",
    "the contract's hours": "часы договора",
    "policy:accept": "принять (сверх лимита)",
    "policy:warn": "принять и предупредить менеджера",
    "policy:refuse": "отклонить",
    "Save the channels as a new version": "Сохранить каналы как новую версию",
    "A whole number from 0 to {most}, or empty for unlimited.": (
        "Целое число от 0 до {most} или пусто — без ограничений."
    ),
    "Choose what a used-up quota does.": "Выберите, что делать при исчерпанном лимите.",
}

# English: what the policy codes say to a reader.
EN: dict[str, str] = {
    "policy:accept": "accept (over quota)",
    "policy:warn": "accept and warn the account manager",
    "policy:refuse": "refuse",
}
