"""Which zone a mail quotes times in: the recipient's choice, else (a client of the
incident's organization) the contract calendar's, else the desk's."""

from __future__ import annotations

from uuid import uuid4

from notify.deliveries import reading_zone

ACME = uuid4()
INCIDENT = {"organization_id": ACME, "time_zone": "Asia/Novosibirsk"}


def test_the_recipients_own_choice_wins() -> None:
    contact = {"organization_id": ACME, "time_zone": "Europe/Berlin"}
    assert reading_zone(contact, INCIDENT, "UTC") == "Europe/Berlin"


def test_a_client_of_the_organization_reads_in_its_calendar_zone() -> None:
    contact = {"organization_id": ACME, "time_zone": None}
    assert reading_zone(contact, INCIDENT, "UTC") == "Asia/Novosibirsk"


def test_staff_and_others_read_in_the_desks_zone() -> None:
    assert reading_zone({"organization_id": None, "time_zone": None}, INCIDENT, "UTC") == "UTC"
    other = {"organization_id": uuid4(), "time_zone": None}
    assert reading_zone(other, INCIDENT, "Europe/Moscow") == "Europe/Moscow"
    unknown = {"organization_id": ACME, "time_zone": None}
    assert reading_zone(unknown, {"organization_id": ACME, "time_zone": None}, "UTC") == "UTC"
