"""Which contract version an incident is registered under: the latest one saved by the
registration instant, however late sla handles the registration (SPEC §4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sla.contracts import ContractVersion, version_in_force
from sla.domain import WorkingCalendar

T0 = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
CONTRACT = uuid4()


def version(number: int, saved: datetime) -> ContractVersion:
    return ContractVersion(
        contract_id=CONTRACT,
        version=number,
        name="Gold",
        calendar_name="24/7",
        calendar=WorkingCalendar.twenty_four_seven("UTC"),
        rules=(),
        created_at=saved,
    )


VERSIONS = (
    version(1, T0),
    version(2, T0 + timedelta(hours=1)),
    version(3, T0 + timedelta(hours=2)),
)


@pytest.mark.parametrize(
    ("registered_at", "expected"),
    [
        (T0, 1),
        (T0 + timedelta(minutes=59), 1),
        (T0 + timedelta(hours=1), 2),
        (T0 + timedelta(hours=1, minutes=30), 2),
        (T0 + timedelta(days=1), 3),
        # Registered before the contract existed (history told later): its first version.
        (T0 - timedelta(days=1), 1),
    ],
)
def test_the_version_saved_by_the_registration_applies(
    registered_at: datetime, expected: int
) -> None:
    assert version_in_force(VERSIONS, registered_at).version == expected
    assert version_in_force(tuple(reversed(VERSIONS)), registered_at).version == expected


def test_a_version_saved_out_of_order_does_not_hide_a_later_number() -> None:
    """Two revisions racing: the higher number wins once both were saved."""
    racing = (
        version(1, T0),
        version(2, T0 + timedelta(seconds=2)),
        version(3, T0 + timedelta(seconds=1)),
    )
    assert version_in_force(racing, T0 + timedelta(seconds=1)).version == 3
    assert version_in_force(racing, T0 + timedelta(seconds=3)).version == 3


def test_no_versions_is_an_error() -> None:
    with pytest.raises(LookupError):
        version_in_force((), T0)
