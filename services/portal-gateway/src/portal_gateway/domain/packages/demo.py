"""The demo's service packages (SPEC §12): "Standard" — phone in working hours, two
on-site visits a month, 15 e-mail consultations a month (the account manager is told
when they are used up), no chat — and "Premium 24/7" — phone around the clock, four
visits, e-mail unlimited. Each is sent once as a `SeedPackage` under fixed ids (seed.py
records it); sla creates only what is missing, so an admin's later changes stay.

Both keep the round-the-clock calendar of the desk's built-in contract for their
deadlines; the phone line's hours of "Standard" are a calendar of their own, so a call
outside them starts its clock at the next opening."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from desk_contracts.enums import Channel, Priority, QuotaPolicy
from desk_contracts.messages import (
    CalendarSpec,
    ChannelTermsSpec,
    ContractSpec,
    SeededCalendar,
    SeedPackage,
    TargetSpec,
)

# sla's built-in round-the-clock calendar (its first migration).
ALWAYS_OPEN_CALENDAR = UUID("00000000-0000-4000-8000-000000000001")

STANDARD = "Standard"
PREMIUM = "Premium 24/7"

HOUR = 3600.0
DAY = 24 * HOUR

WORKING_HOURS = CalendarSpec(
    name="Phone line 9–18 (Moscow)",
    time_zone="Europe/Moscow",
    weekly_hours={day: (("09:00", "18:00"),) for day in range(5)},
)


def _targets(
    normal: tuple[float, float], by_priority: dict[Priority, tuple[float, float]]
) -> tuple[TargetSpec, ...]:
    """(response, resolution) for normal priority and for the others, and complaints'
    own: answered within the hour, settled within a day, whatever their priority."""
    return (
        TargetSpec(response_seconds=normal[0], resolution_seconds=normal[1], reminder_share=0.75),
        *(
            TargetSpec(
                priority=priority,
                response_seconds=response,
                resolution_seconds=resolution,
                reminder_share=0.75,
            )
            for priority, (response, resolution) in by_priority.items()
        ),
        TargetSpec(
            category_path=("complaint",),
            response_seconds=HOUR,
            resolution_seconds=DAY,
            reminder_share=0.75,
        ),
    )


# The built-in contract's targets, so the demo's deadlines stay what they were.
STANDARD_TARGETS = _targets(
    (8 * HOUR, 3 * DAY),
    {
        Priority.CRITICAL: (HOUR / 2, 2 * DAY),
        Priority.HIGH: (2 * HOUR, DAY),
        Priority.LOW: (DAY, 5 * DAY),
    },
)
PREMIUM_TARGETS = _targets(
    (2 * HOUR, DAY),
    {
        Priority.CRITICAL: (HOUR / 4, 8 * HOUR),
        Priority.HIGH: (HOUR, 12 * HOUR),
        Priority.LOW: (8 * HOUR, 3 * DAY),
    },
)


def demo_packages(demo_id: Callable[[str], UUID]) -> tuple[SeedPackage, ...]:
    phone_hours = demo_id("calendar:phone-9-18")
    return (
        SeedPackage(
            contract_id=demo_id(f"package:{STANDARD}"),
            calendars=(SeededCalendar(calendar_id=phone_hours, calendar=WORKING_HOURS),),
            contract=ContractSpec(
                name=STANDARD,
                calendar_id=ALWAYS_OPEN_CALENDAR,
                targets=STANDARD_TARGETS,
                channels=(
                    ChannelTermsSpec(channel=Channel.PHONE, calendar_id=phone_hours),
                    ChannelTermsSpec(channel=Channel.EMAIL, per_month=15, policy=QuotaPolicy.WARN),
                    ChannelTermsSpec(channel=Channel.ONSITE, per_month=2),
                    ChannelTermsSpec(channel=Channel.CHAT, included=False),
                ),
            ),
        ),
        SeedPackage(
            contract_id=demo_id(f"package:{PREMIUM}"),
            contract=ContractSpec(
                name=PREMIUM,
                calendar_id=ALWAYS_OPEN_CALENDAR,
                targets=PREMIUM_TARGETS,
                channels=(
                    ChannelTermsSpec(channel=Channel.PHONE),
                    ChannelTermsSpec(channel=Channel.ONSITE, per_month=4),
                    ChannelTermsSpec(channel=Channel.EMAIL),
                    ChannelTermsSpec(channel=Channel.CHAT),
                ),
            ),
        ),
    )
