"""The term rules: coverage on a day, maintenance due dates across month ends and leap
days, the notices a device is due and on which day each goes out."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from uuid import uuid4

from assets import domain
from desk_contracts.messages import EquipmentTerms, LeadTimes
from hypothesis import given
from hypothesis import strategies as st

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2150, 12, 31))
months = st.integers(min_value=1, max_value=120)


def device(**terms: object) -> EquipmentTerms:
    return EquipmentTerms.model_validate(
        {"model": "LaserJet 4250", "manufacturer": "HP", "serial_number": "cnb1x", **terms}
    )


LEAD = LeadTimes(organization_id=uuid4())


# --- add_months -------------------------------------------------------------------------


def test_a_month_after_the_31st_of_january_is_the_last_of_february() -> None:
    assert domain.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert domain.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert domain.add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert domain.add_months(date(2028, 2, 29), 48) == date(2032, 2, 29)
    assert domain.add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert domain.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)


@given(days, st.integers(min_value=0, max_value=600))
def test_add_months_keeps_the_day_or_clamps_it_to_the_month_end(day: date, n: int) -> None:
    later = domain.add_months(day, n)
    assert (later.year - day.year) * 12 + later.month - day.month == n
    last = calendar.monthrange(later.year, later.month)[1]
    assert later.day == min(day.day, last)


@given(days, months, months)
def test_add_months_is_monotonic(day: date, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert domain.add_months(day, low) <= domain.add_months(day, high)


# --- coverage ---------------------------------------------------------------------------


@given(days, days)
def test_covered_until_the_last_day_inclusive(until: date, on: date) -> None:
    assert domain.covered(until, on) is (on <= until)
    assert domain.covered(None, on) is False


def test_under_warranty_on_its_last_day_and_not_the_next() -> None:
    until = date(2028, 2, 29)
    assert domain.covered(until, until)
    assert not domain.covered(until, date(2028, 3, 1))


# --- maintenance ------------------------------------------------------------------------


@given(days, months, days)
def test_maintenance_dates_are_whole_intervals_from_the_base_and_not_before_today(
    base: date, interval: int, today: date
) -> None:
    found = domain.maintenance_dates(base, interval, today, 3)
    assert len(found) == 3
    assert found == sorted(found)
    assert all(due >= today for due in found)
    assert all(due > base for due in found)
    steps = []
    k = 1
    while (due := domain.add_months(base, k * interval)) <= found[-1]:
        if due in found:
            steps.append(k)
        k += 1
    assert len(steps) == 3
    assert steps[1] == steps[0] + 1
    assert steps[2] == steps[1] + 1
    # Nothing due on or after today was skipped.
    before = domain.add_months(base, (steps[0] - 1) * interval)
    assert steps[0] == 1 or before < today


def test_a_month_end_stays_a_month_end_from_one_maintenance_to_the_next() -> None:
    found = domain.maintenance_dates(date(2027, 8, 31), 6, date(2027, 9, 1), 3)
    assert found == [date(2028, 2, 29), date(2028, 8, 31), date(2029, 2, 28)]


def test_maintenance_due_today_is_due_today() -> None:
    assert domain.maintenance_dates(date(2026, 6, 2), 6, date(2026, 12, 2), 1) == [
        date(2026, 12, 2)
    ]


def test_next_maintenance_counts_from_the_last_one_else_the_installation() -> None:
    today = date(2026, 12, 2)
    assert domain.next_maintenance(device(), today) is None
    assert domain.next_maintenance(device(maintenance_interval_months=6), today) is None
    installed = device(installed_on=date(2026, 3, 10), maintenance_interval_months=6)
    assert domain.next_maintenance(installed, today) == date(2027, 3, 10)
    serviced = installed.model_copy(update={"last_maintenance_on": date(2026, 11, 20)})
    assert domain.next_maintenance(serviced, today) == date(2027, 5, 20)


# --- notices ----------------------------------------------------------------------------


def test_defaults_warn_thirty_days_before_warranty_and_sixty_before_the_contract() -> None:
    today = date(2026, 12, 2)
    terms = device(warranty_until=date(2027, 3, 1), service_contract_until=date(2027, 6, 30))
    assert domain.plan_notices(terms, LEAD, today) == [
        domain.PlannedNotice("contract_end", date(2027, 6, 30), date(2027, 5, 1)),
        domain.PlannedNotice("warranty_end", date(2027, 3, 1), date(2027, 1, 30)),
    ]


def test_a_lead_across_a_leap_day_counts_it() -> None:
    terms = device(warranty_until=date(2028, 3, 15))
    (notice,) = domain.plan_notices(terms, LEAD, date(2028, 1, 1))
    assert notice.notify_on == date(2028, 2, 14)  # 30 days, 29 February among them


def test_an_ended_term_is_due_no_notice_and_one_ending_today_is() -> None:
    today = date(2026, 12, 2)
    ended = device(warranty_until=today - timedelta(days=1))
    assert domain.plan_notices(ended, LEAD, today) == []
    ending = device(warranty_until=today)
    (notice,) = domain.plan_notices(ending, LEAD, today)
    assert notice.notify_on < today  # its day has passed: it goes out at once


def test_maintenance_is_noticed_at_the_interval_and_the_next_one_is_planned_too() -> None:
    terms = device(installed_on=date(2026, 1, 31), maintenance_interval_months=1)
    planned = domain.plan_notices(terms, LEAD, date(2026, 2, 1))
    assert [(p.kind, p.due_on, p.notify_on) for p in planned] == [
        ("maintenance_due", date(2026, 2, 28), date(2026, 2, 28)),
        ("maintenance_due", date(2026, 3, 31), date(2026, 3, 31)),
    ]


@given(
    st.one_of(st.none(), days),
    st.one_of(st.none(), days),
    st.one_of(st.none(), months),
    days,
    st.integers(min_value=0, max_value=366),
    st.integers(min_value=0, max_value=366),
    st.integers(min_value=0, max_value=366),
)
def test_every_planned_notice_is_for_a_date_to_come_its_lead_before_it(
    warranty: date | None,
    contract: date | None,
    interval: int | None,
    today: date,
    warranty_days: int,
    contract_days: int,
    maintenance_days: int,
) -> None:
    lead = LeadTimes(
        organization_id=uuid4(),
        warranty_days=warranty_days,
        contract_days=contract_days,
        maintenance_days=maintenance_days,
    )
    terms = device(
        warranty_until=warranty,
        service_contract_until=contract,
        installed_on=date(1990, 1, 1),
        maintenance_interval_months=interval,
    )
    planned = domain.plan_notices(terms, lead, today)
    leads = {"warranty_end": warranty_days, "contract_end": contract_days}
    for notice in planned:
        assert notice.due_on >= today
        days_before = (notice.due_on - notice.notify_on).days
        assert days_before == leads.get(notice.kind, maintenance_days)
    kinds = [p.kind for p in planned]
    assert kinds.count("warranty_end") == (warranty is not None and warranty >= today)
    assert kinds.count("contract_end") == (contract is not None and contract >= today)
    assert kinds.count("maintenance_due") == (2 if interval else 0)
    # One timer per kind and due date.
    assert len({p.timer_kind for p in planned}) == len(planned)


@given(days, days)
def test_days_left_counts_calendar_days(due: date, on: date) -> None:
    assert on + timedelta(days=domain.days_left(due, on)) == due


# --- checks and rows --------------------------------------------------------------------


def test_dates_before_the_installation_are_refused() -> None:
    terms = device(installed_on=date(2026, 5, 1), warranty_until=date(2026, 4, 30))
    assert domain.term_problem(terms) == (
        "warranty_until",
        "must not be before the installation date",
    )
    assert domain.term_problem(device(installed_on=date(2026, 5, 1))) is None


def test_a_good_row_becomes_terms_with_the_serial_upper_case() -> None:
    terms = domain.parse_row(
        2,
        {
            "model": " LaserJet ",
            "manufacturer": "HP",
            "serial_number": "cnb1x23",
            "warranty_until": "2028-02-29",
            "maintenance_interval_months": "6",
            "notes": "",
        },
    )
    assert isinstance(terms, EquipmentTerms)
    assert terms.model == "LaserJet"
    assert terms.serial_number == "CNB1X23"
    assert terms.warranty_until == date(2028, 2, 29)
    assert terms.maintenance_interval_months == 6
    assert terms.notes == ""


def test_bad_rows_name_the_column_and_the_reason() -> None:
    base = {"model": "M", "manufacturer": "HP", "serial_number": "S1"}
    cases = [
        ({"serial_number": " "}, "serial_number", "is required"),
        ({"model": ""}, "model", "is required"),
        ({"warranty_until": "2027-02-29"}, "warranty_until", "not a date (write YYYY-MM-DD)"),
        ({"warranty_until": "31.12.2027"}, "warranty_until", "not a date (write YYYY-MM-DD)"),
        (
            {"maintenance_interval_months": "six"},
            "maintenance_interval_months",
            "not a whole number",
        ),
        ({"maintenance_interval_months": "0"}, "maintenance_interval_months", "out of range"),
        (
            {"installed_on": "1900-01-01"},
            "installed_on",
            "must lie between the years 1970 and 2200",
        ),
        ({"model": "x" * 201}, "model", "too long"),
        (
            {"installed_on": "2026-05-01", "last_maintenance_on": "2026-01-01"},
            "last_maintenance_on",
            "must not be before the installation date",
        ),
    ]
    for change, field, reason in cases:
        rejected = domain.parse_row(7, {**base, **change})
        assert not isinstance(rejected, EquipmentTerms), change
        assert (rejected.line, rejected.field, rejected.reason) == (7, field, reason), change


def test_clients_see_only_their_organization() -> None:
    mine, other = uuid4(), uuid4()
    assert domain.can_see(False, mine, mine)
    assert not domain.can_see(False, mine, other)
    assert not domain.can_see(False, None, other)
    assert domain.can_see(True, None, other)


def test_serials_are_unique_per_manufacturer_case_blind() -> None:
    assert domain.serial_key(" HP ", "cnb1") == domain.serial_key("hp", "CNB1 ")
    assert domain.serial_key("HP", "1") != domain.serial_key("Canon", "1")
