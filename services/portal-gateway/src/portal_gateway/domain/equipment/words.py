"""The equipment area's words in Russian (keys are the English phrases)."""

from __future__ import annotations

RU: dict[str, str] = {
    "no such equipment": "такого оборудования нет",
    "no such organization": "такой организации нет",
    "staff only": "только для сотрудников",
    "is required": "обязательное поле",
    "is recorded already": "уже зарегистрирован",
    "must not be before the installation date": "не может быть раньше даты установки",
    "managers, heads and admins only": "только для менеджеров, руководителей и администраторов",
    "warranty ends": "окончание гарантии",
    "service contract ends": "окончание сервисного договора",
    "maintenance due": "плановое обслуживание",
    "another device": "другое устройство",
}
