"""Target rules and the choice of the most specific one (SPEC §4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from desk_contracts.enums import Priority
from sla.domain import TargetRule, select_rule

H = timedelta(hours=1)
CRASH = ("fault", "software", "crash")


def rule(path: tuple[str, ...], priority: Priority | None, hours: int = 8) -> TargetRule:
    return TargetRule(path, priority, response=H, resolution=hours * H)


def test_depth() -> None:
    assert rule((), None).depth == 0
    assert rule(("fault",), None).depth == 1
    assert rule(CRASH, None).depth == 3


def test_deeper_category_wins_over_exact_priority() -> None:
    default = rule((), Priority.HIGH)
    by_type = rule(("fault",), Priority.HIGH)
    by_category = rule(("fault", "software"), None)
    rules = [default, by_type, by_category]
    assert select_rule(rules, CRASH, Priority.HIGH) is by_category
    assert select_rule(rules, ("fault", "hardware"), Priority.HIGH) is by_type
    assert select_rule(rules, ("consultation",), Priority.HIGH) is default


def test_subcategory_beats_category_beats_type() -> None:
    rules = [rule(("fault",), None), rule(CRASH, None), rule(("fault", "software"), None)]
    assert select_rule(rules, CRASH, Priority.LOW) is rules[1]
    assert select_rule(rules, ("fault", "software", "slow"), Priority.LOW) is rules[2]


def test_exact_priority_beats_any_at_equal_depth() -> None:
    any_priority = rule(("fault",), None)
    critical = rule(("fault",), Priority.CRITICAL)
    rules = [any_priority, critical]
    assert select_rule(rules, ("fault", "software"), Priority.CRITICAL) is critical
    assert select_rule(rules, ("fault", "software"), Priority.NORMAL) is any_priority


def test_other_priority_does_not_match() -> None:
    assert select_rule([rule(("fault",), Priority.HIGH)], ("fault",), Priority.LOW) is None


def test_contract_default_matches_everything() -> None:
    default = rule((), None)
    assert select_rule([default], CRASH, Priority.LOW) is default
    assert select_rule([default], (), Priority.LOW) is default


def test_no_match_returns_none() -> None:
    rules = [rule(("fault",), None), rule(("fault", "software"), None)]
    assert select_rule(rules, ("consultation", "howto"), Priority.HIGH) is None
    assert select_rule([], CRASH, Priority.HIGH) is None


def test_rule_deeper_than_the_incident_does_not_match() -> None:
    assert select_rule([rule(CRASH, None)], ("fault", "software"), Priority.HIGH) is None


def test_prefix_means_whole_codes_not_string_prefixes() -> None:
    assert select_rule([rule(("fault",), None)], ("faulty",), Priority.HIGH) is None


def test_first_rule_wins_a_full_tie() -> None:
    first, second = rule(("fault",), Priority.HIGH, 4), rule(("fault",), Priority.HIGH, 6)
    assert select_rule([first, second], CRASH, Priority.HIGH) is first
    assert select_rule([second, first], CRASH, Priority.HIGH) is second


def test_rule_order_does_not_matter_otherwise() -> None:
    rules = [rule((), None), rule(("fault",), None), rule(("fault",), Priority.HIGH)]
    for ordering in (rules, rules[::-1], [rules[1], rules[2], rules[0]]):
        assert select_rule(ordering, CRASH, Priority.HIGH) is rules[2]


def test_accepts_lists_and_wire_priorities() -> None:
    normalised = TargetRule(["fault"], "high", response=H, resolution=H)  # type: ignore[arg-type]
    assert normalised.category_path == ("fault",)
    assert normalised.priority is Priority.HIGH
    assert select_rule([normalised], ["fault", "x"], Priority.HIGH) is normalised


def test_reminder_lead() -> None:
    before = TargetRule((), None, H, 8 * H, reminder_before=2 * H)
    share = TargetRule((), None, H, 8 * H, reminder_share=0.75)
    assert before.reminder_lead(8 * H) == 6 * H
    assert before.reminder_lead(H) == timedelta(0)  # clamped at registration
    assert share.reminder_lead(8 * H) == 6 * H
    assert rule((), None).reminder_lead(8 * H) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"response": timedelta(0)}, "response"),
        ({"resolution": -H}, "resolution"),
        ({"reminder_before": H, "reminder_share": 0.5}, "not both"),
        ({"reminder_before": timedelta(0)}, "reminder_before"),
        ({"reminder_share": 1.0}, "reminder_share"),
        ({"reminder_share": 0}, "reminder_share"),
        ({"category_path": "fault"}, "category_path"),
        ({"category_path": ("fault", "")}, "category_path"),
        ({"priority": "urgent"}, "priority"),
    ],
)
def test_invalid_rules_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    base = {"category_path": (), "priority": None, "response": H, "resolution": 8 * H}
    with pytest.raises(ValueError, match=message):
        TargetRule(**(base | kwargs))
