"""Pure parsing and formatting of a contract's escalation ladder and channel terms on
the contract admin page: form fields in, typed specs and per-field messages out (and
back). Messages are keyed by the form's field names (`e<row>_after`, `c_<channel>_quota`)."""

from __future__ import annotations

from typing import Any

from desk_contracts.enums import Channel, Priority, QuotaPolicy
from desk_contracts.messages import (
    ESCALATION_AUDIENCES,
    MAX_QUOTA,
    ChannelTermsSpec,
    ContractView,
    EscalationStepSpec,
)
from desk_runtime.errors import validation_items
from pydantic import ValidationError

from .admin_forms import Errors, format_duration, parse_duration

# Blank ladder rows the form offers for new steps.
SPARE_STEPS = 2
BUSINESS_DAYS = "business_days"
TIME = "time"


def ladder_rows(contract: ContractView) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "after": f"{step.after_business_days:g}"
            if step.after_business_days
            else format_duration(step.after_seconds),
            "unit": BUSINESS_DAYS if step.after_business_days else TIME,
            "notify": step.notify,
            "reassign": step.reassign,
            "priorities": [p.value for p in step.priorities],
        }
        for step in sorted(contract.escalation, key=lambda s: s.level)
    ]
    blank = {"after": "", "unit": BUSINESS_DAYS, "notify": "", "reassign": False}
    return rows + [{**blank, "priorities": []} for _ in range(SPARE_STEPS)]


def parse_ladder(
    form: dict[str, Any], t: Any
) -> tuple[list[dict[str, Any]], list[EscalationStepSpec], Errors]:
    """The ladder's rows as typed (to show again), its steps numbered in the order of
    the rows, and errors. A row without "after" is no step; no step at all is a
    contract that escalates nothing."""
    try:
        count = min(20, max(0, int(form.get("steps") or 0)))
    except ValueError:
        count = 0
    rows: list[dict[str, Any]] = []
    steps: list[EscalationStepSpec] = []
    errors: Errors = {}
    for index in range(count):
        prefix = f"e{index}_"
        priorities = form.get(prefix + "priorities") or []
        after = str(form.get(prefix + "after") or "").strip()
        row: dict[str, Any] = {
            "after": after,
            "unit": str(form.get(prefix + "unit") or BUSINESS_DAYS),
            "notify": str(form.get(prefix + "notify") or ""),
            "reassign": form.get(prefix + "reassign") == "1",
            "priorities": [p for p in priorities if p in Priority._value2member_map_],
        }
        rows.append(row)
        if not after:
            continue
        spec: dict[str, Any] = {
            "level": len(steps) + 1,
            "notify": row["notify"],
            "reassign": row["reassign"],
            "priorities": row["priorities"],
        }
        try:
            if row["unit"] == TIME:
                spec["after_seconds"] = parse_duration(after)
            else:
                spec["after_business_days"] = float(after.replace(",", "."))
        except ValueError:
            errors[prefix + "after"] = t(
                "A duration like 30m, 8h or 2d."
                if row["unit"] == TIME
                else "A number of business days, like 1 or 0.5."
            )
            continue
        if row["notify"] not in ESCALATION_AUDIENCES:
            errors[prefix + "notify"] = t("Choose who is told.")
            continue
        try:
            steps.append(EscalationStepSpec.model_validate(spec))
        except ValidationError as error:
            for item in validation_items(error):
                field = "notify" if item.field == "notify" else "after"
                errors.setdefault(
                    prefix + field,
                    t("Must be more than zero and at most a year.")
                    if field == "after"
                    else t(item.message),
                )
    return rows, steps, errors


def channel_rows(contract: ContractView) -> dict[str, dict[str, Any]]:
    """One row per channel: its channel-wide terms, else a channel-wide quota of the
    older form, else the default (included, unlimited, the contract's hours)."""
    terms = {c.channel: c for c in contract.channels if not c.category_path}
    quotas = {q.channel: q for q in contract.quotas if not q.category_path}
    rows: dict[str, dict[str, Any]] = {}
    for channel in Channel:
        term = terms.get(channel)
        quota = quotas.get(channel)
        per_month = term.per_month if term else (quota.per_month if quota else None)
        rows[channel.value] = {
            "included": term.included if term else True,
            "quota": "" if per_month is None else str(per_month),
            "policy": (term.policy if term else QuotaPolicy.ACCEPT).value,
            "calendar": str(term.calendar_id) if term and term.calendar_id else "",
        }
    return rows


def parse_channels(
    form: dict[str, Any], base: ContractView, t: Any
) -> tuple[dict[str, dict[str, Any]], tuple[ChannelTermsSpec, ...], tuple[Any, ...], Errors]:
    """The channel rows as typed, the contract's channel terms and older-form quotas
    after the change, and errors. The terms of a category subtree are kept as they
    were; a channel-wide quota of the older form gives way to the row that shows it."""
    rows: dict[str, dict[str, Any]] = {}
    wide: list[ChannelTermsSpec] = []
    errors: Errors = {}
    for channel in Channel:
        prefix = f"c_{channel.value}_"
        policy = str(form.get(prefix + "policy") or QuotaPolicy.ACCEPT.value)
        row: dict[str, Any] = {
            "included": form.get(prefix + "included") == "1",
            "quota": str(form.get(prefix + "quota") or "").strip(),
            "policy": policy,
            "calendar": str(form.get(prefix + "calendar") or ""),
        }
        rows[channel.value] = row
        per_month: int | None = None
        if row["quota"]:
            try:
                per_month = int(row["quota"])
                if not 0 <= per_month <= MAX_QUOTA:
                    raise ValueError(row["quota"])
            except ValueError:
                errors[prefix + "quota"] = t(
                    "A whole number from 0 to {most}, or empty for unlimited.", most=MAX_QUOTA
                )
                continue
        if policy not in QuotaPolicy._value2member_map_:
            errors[prefix + "policy"] = t("Choose what a used-up quota does.")
            continue
        try:
            term = ChannelTermsSpec(
                channel=channel,
                included=row["included"],
                calendar_id=row["calendar"] or None,
                per_month=per_month,
                policy=QuotaPolicy(policy),
            )
        except ValidationError:
            errors[prefix + "calendar"] = t("Choose a calendar")
            continue
        if term != ChannelTermsSpec(channel=channel):
            wide.append(term)
    kept = tuple(c for c in base.channels if c.category_path)
    quotas = tuple(q for q in base.quotas if q.category_path)
    return rows, (*wide, *kept), quotas, errors
