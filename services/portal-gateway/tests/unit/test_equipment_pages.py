"""The equipment pages render in both languages: the list, a device with its notices,
and the import's report (rejected rows with their reasons)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from uuid import uuid4

import pytest
from desk_contracts.enums import Role
from portal_gateway.domain.equipment.schemas import (
    AcceptedRow,
    Equipment,
    EquipmentPage,
    ImportResult,
    Notice,
    Notices,
    RejectedRow,
)
from portal_gateway.web.i18n import translator
from portal_gateway.web.render import _ENV, ASSETS
from portal_gateway.web.views import query_string

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
DEVICE = Equipment(
    id=uuid4(),
    organization_id=uuid4(),
    organization_name="Acme Manufacturing",
    model="LaserJet M507",
    manufacturer="HP",
    serial_number="CNB3K10001",
    location="Office <101>",
    installed_on=date(2025, 10, 28),
    warranty_until=date(2026, 12, 14),
    service_contract_until=date(2026, 1, 1),
    maintenance_interval_months=6,
    last_maintenance_on=date(2026, 11, 2),
    next_maintenance_on=date(2027, 5, 2),
    notes="",
    under_warranty=True,
    under_service_contract=False,
    created_at=NOW,
    updated_at=NOW,
)


def page(template: str, lang: str, role: Role, **context: object) -> str:
    user = SimpleNamespace(role=role, display_name="Carl", locale=SimpleNamespace(value=lang))
    return _ENV.get_template(template).render(
        t=translator(lang),
        lang=lang,
        user=user,
        csrf="token",
        assets=ASSETS,
        path="/equipment",
        full_path="/equipment",
        flash="",
        now=NOW,
        when=lambda value: value.strftime("%Y-%m-%d %H:%M UTC") if value else "—",
        qs=query_string,
        **context,
    )


@pytest.mark.parametrize(("lang", "word"), [("en", "Warranty until"), ("ru", "Гарантия до")])
def test_the_list_shows_terms_in_the_readers_language(lang: str, word: str) -> None:
    listing = EquipmentPage(total=1, limit=50, offset=0, items=[DEVICE])
    html = page(
        "equipment.html", lang, Role.AGENT, listing=listing, page=1, pages=1,
        filters={"organization": "", "q": ""}, organizations={"x": "Acme Manufacturing"},
    )  # fmt: skip
    assert word in html
    assert "CNB3K10001" in html
    assert "Office &lt;101&gt;" in html
    assert "Acme Manufacturing" in html


@pytest.mark.parametrize(("lang", "word"), [("en", "Under warranty"), ("ru", "На гарантии")])
def test_the_device_page_shows_coverage_and_notices(lang: str, word: str) -> None:
    notices = Notices(
        equipment_id=DEVICE.id,
        items=[Notice(id=uuid4(), kind="warranty_end", kind_name="x", due_on=date(2026, 12, 14),
                      days_left=12, noticed_at=NOW)],
    )  # fmt: skip
    html = page("equipment_device.html", lang, Role.CLIENT, device=DEVICE, notices=notices)
    assert word in html
    assert "2026-12-14" in html
    assert "Acme Manufacturing" not in html  # clients are not shown whose it is


NOT_A_DATE = "не дата (пишите ГГГГ-ММ-ДД)"


def test_the_import_page_lists_the_rejected_rows() -> None:
    report = ImportResult(
        organization_id=uuid4(),
        accepted=[AcceptedRow(line=2, id=uuid4(), serial_number="A-1")],
        rejected=[RejectedRow(line=3, field="warranty_until", reason=NOT_A_DATE)],
    )  # fmt: skip
    html = page(
        "admin_equipment_import.html", "ru", Role.ADMIN, organizations={}, chosen="",
        report=report, error=None, form_key=uuid4(),
    )  # fmt: skip
    assert "Импортировано: 1; отклонено: 1" in html
    assert NOT_A_DATE in html
