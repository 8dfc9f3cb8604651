"""Equipment notices render in both languages for each kind (the contract's offers to
extend it), escaped in HTML, and go to the organization's clients and account manager
once each."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from desk_contracts.enums import Locale
from desk_contracts.messages import NOTICE_KINDS
from notify import recipients
from notify.templates import Templates

VALUES = {
    "equipment_id": UUID(int=7),
    "model": "LaserJet <4250>",
    "manufacturer": "HP",
    "serial_number": "CNB1X23",
    "location": "2nd floor",
    "due_on": "2027-01-31",
    "days_left": 30,
    "recipient_name": "Alice",
    "link": "http://desk.example/equipment/7",
}

WORDS = {
    (Locale.EN, "warranty_end"): "warranty",
    (Locale.EN, "contract_end"): "extend the contract",
    (Locale.EN, "maintenance_due"): "maintenance",
    (Locale.RU, "warranty_end"): "Гарантия",
    (Locale.RU, "contract_end"): "продлите договор",
    (Locale.RU, "maintenance_due"): "обслуживание",
}


@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_every_notice_renders_in_every_language(kind: str, locale: Locale) -> None:
    mail = Templates().email(kind, locale, VALUES)
    assert "CNB1X23" in mail.subject
    assert "2027-01-31" in mail.subject
    assert "\n" not in mail.subject
    assert WORDS[locale, kind] in mail.text
    assert "http://desk.example/equipment/7" in mail.text
    assert "2nd floor" in mail.text
    assert "LaserJet &lt;4250&gt;" in mail.html
    assert "{{" not in mail.text + mail.html


def test_the_organizations_clients_and_its_account_manager_hear_once_each() -> None:
    a, b, manager = uuid4(), uuid4(), uuid4()
    people = recipients.on_equipment_notice([a, b, a], manager)
    assert [(p.user_id, p.reason) for p in people] == [
        (a, "organization_client"),
        (b, "organization_client"),
        (manager, "account_manager"),
    ]
    assert recipients.on_equipment_notice([], None) == []
