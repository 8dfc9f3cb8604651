"""The contract page's ladder and channel forms (pure): what is typed becomes the
contract's steps and channel terms, and each mistake is a message on its own field."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from desk_contracts.enums import Channel, Priority, QuotaPolicy
from desk_contracts.messages import (
    ChannelTermsSpec,
    ContractView,
    EscalationStepSpec,
    QuotaSpec,
    TargetSpec,
)
from portal_gateway.web.contract_terms import (
    channel_rows,
    ladder_rows,
    parse_channels,
    parse_ladder,
)
from portal_gateway.web.i18n import translator

T = translator("en")
RU = translator("ru")


def _contract(**fields: object) -> ContractView:
    values: dict[str, object] = {
        "contract_id": uuid4(),
        "version": 2,
        "name": "Standard",
        "calendar_id": uuid4(),
        "calendar_name": "Office",
        "targets": (TargetSpec(response_seconds=3600, resolution_seconds=28800),),
        "escalation": (
            EscalationStepSpec(level=1, after_business_days=1, notify="group_head", reassign=True),
            EscalationStepSpec(
                level=2, after_seconds=1800, notify="escalation_contact", priorities=("critical",)
            ),
        ),
        "quotas": (QuotaSpec(channel=Channel.EMAIL, per_month=15),),
        "is_default": False,
        "created_at": datetime(2026, 12, 1, tzinfo=UTC),
        **fields,
    }
    return ContractView.model_validate(values)


def test_the_ladder_reads_back_as_it_is_shown() -> None:
    rows = ladder_rows(_contract())
    assert rows[0] == {
        "after": "1",
        "unit": "business_days",
        "notify": "group_head",
        "reassign": True,
        "priorities": [],
    }
    assert rows[1]["after"] == "30m"
    assert rows[1]["unit"] == "time"
    form: dict[str, object] = {"steps": str(len(rows))}
    for i, row in enumerate(rows):
        form.update({f"e{i}_{k}": v for k, v in row.items() if k not in ("reassign",)})
        if row["reassign"]:
            form[f"e{i}_reassign"] = "1"
    _, steps, errors = parse_ladder(form, T)
    assert errors == {}
    assert steps == list(_contract().escalation)


def test_a_ladder_row_names_its_own_mistake_in_the_readers_language() -> None:
    form = {
        "steps": "3",
        "e0_after": "soon",
        "e0_unit": "time",
        "e0_notify": "group_head",
        "e1_after": "2",
        "e1_unit": "business_days",
        "e1_notify": "",
        "e2_after": "",
    }
    _, steps, errors = parse_ladder(form, RU)
    assert steps == []
    assert errors == {
        "e0_after": "Длительность вида 30m, 8h или 2d.",
        "e1_notify": "Выберите, кого уведомить.",
    }
    _, steps, errors = parse_ladder({"steps": "1", "e0_after": "0", "e0_notify": "group_head"}, T)
    assert errors == {"e0_after": "Must be more than zero and at most a year."}


def test_steps_are_numbered_in_row_order_skipping_blank_rows() -> None:
    form = {
        "steps": "3",
        "e0_after": "",
        "e1_after": "0,5",
        "e1_notify": "department_head",
        "e1_priorities": ["high", "nonsense"],
        "e2_after": "4h",
        "e2_unit": "time",
        "e2_notify": "group_head",
    }
    _, steps, errors = parse_ladder(form, T)
    assert errors == {}
    assert [(s.level, s.after_business_days, s.after_seconds) for s in steps] == [
        (1, 0.5, None),
        (2, None, 14400),
    ]
    assert steps[0].priorities == (Priority.HIGH,)


def test_channel_rows_show_an_older_quota_and_saving_turns_it_into_terms() -> None:
    calendar = uuid4()
    contract = _contract(
        channels=(
            ChannelTermsSpec(channel=Channel.PHONE, calendar_id=calendar),
            ChannelTermsSpec(channel=Channel.EMAIL, category_path=("fault",), per_month=3),
        )
    )
    rows = channel_rows(contract)
    assert rows["email"] == {"included": True, "quota": "15", "policy": "accept", "calendar": ""}
    assert rows["phone"]["calendar"] == str(calendar)
    form: dict[str, object] = {}
    for channel, row in rows.items():
        if row["included"]:
            form[f"c_{channel}_included"] = "1"
        form.update({f"c_{channel}_{k}": v for k, v in row.items() if k != "included"})
    form["c_onsite_quota"] = "2"
    form["c_onsite_policy"] = "refuse"
    del form["c_chat_included"]
    _, terms, quotas, errors = parse_channels(form, contract, T)
    assert errors == {}
    assert quotas == ()  # the channel-wide quota is now the e-mail row's terms
    assert set(terms) == {
        ChannelTermsSpec(channel=Channel.PHONE, calendar_id=calendar),
        ChannelTermsSpec(channel=Channel.EMAIL, per_month=15),
        ChannelTermsSpec(channel=Channel.ONSITE, per_month=2, policy=QuotaPolicy.REFUSE),
        ChannelTermsSpec(channel=Channel.CHAT, included=False),
        # A category's own terms are kept as they were.
        ChannelTermsSpec(channel=Channel.EMAIL, category_path=("fault",), per_month=3),
    }


def test_a_bad_quota_is_a_message_on_its_field() -> None:
    form = {"c_email_included": "1", "c_email_quota": "-1", "c_phone_policy": "sometimes"}
    _, _, _, errors = parse_channels(form, _contract(), RU)
    assert errors == {
        "c_email_quota": "Целое число от 0 до 1000000 или пусто — без ограничений.",
        "c_phone_policy": "Выберите, что делать при исчерпанном лимите.",
    }
