"""The e-mail channel's words in Russian (English is the key itself): the mail domains
of an organization, the original mail kept with an incident."""

from __future__ import annotations

RU: dict[str, str] = {
    "not a domain name: {value}": "это не доменное имя: {value}",
    "{domain} is a mail domain of {name} already": (
        "{domain} уже указан как почтовый домен организации «{name}»"
    ),
    "Mail domains": "Почтовые домены",
    "One domain per line, e.g. example.com. Mail from an unknown address of one of them "
    "files a new contact of this organization; unknown senders of other domains are "
    "refused.": (
        "По одному домену в строке, например example.com. Письмо с незнакомого адреса "
        "такого домена заводит новый контакт этой организации; письма незнакомых "
        "отправителей других доменов отклоняются."
    ),
    "Language of new contacts": "Язык новых контактов",
    "When their mail names no language.": "Если письмо не указывает язык.",
    "Original mail: {file}": "Исходное письмо: {file}",
}
