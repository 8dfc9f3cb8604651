"""The SLA pages: the staff's report, and the admin pages of contracts (versions, targets
per category subtree and priority) and calendars (working hours, holidays). A form that
fails a check is shown again with a message next to each field it names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import available_timezones

from desk_contracts.enums import Priority, QuotaPolicy
from desk_contracts.messages import (
    ESCALATION_AUDIENCES,
    CalendarView,
    ContractSpec,
    ContractView,
    GetCalendar,
    GetContract,
    SaveCalendar,
    SaveContract,
)
from desk_runtime.errors import validation_items
from desk_runtime.rpc import RpcClient
from litestar import Request, Response, get, post
from pydantic import ValidationError

from ...accounts import User
from ...deps import gateway, principal, rpc
from ...guards import staff_only
from ...web.admin_forms import (
    Errors,
    calendar_field,
    calendar_values,
    contract_field,
    contract_values,
    format_duration,
    model_errors,
    parse_calendar,
    parse_targets,
    reminder_text,
)
from ...web.contract_terms import channel_rows, ladder_rows, parse_channels, parse_ladder
from ...web.forms import back, form_values, parse_uuid, saved_or_refused, words
from ...web.render import render
from ...web.views import category_labels
from ..accounts.service import names_of, organization_names
from ..categories.service import category_infos
from ..packages.service import CHANNEL_NAMES
from .service import all_calendars, all_contracts, sla_report

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SHORT_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TIME_ZONES = sorted(available_timezones())


def _parse_day(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None
    except ValueError:
        return None


@get("/reports/sla", include_in_schema=False, guards=[staff_only])
async def sla_report_page(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    client = rpc(request)
    since = _parse_day(request.query_params.get("since"))
    until = _parse_day(request.query_params.get("until"))
    reports = {}
    for group in ("category", "organization", "package", "agent"):
        reports[group] = await sla_report(client, since=since, until=until, group_by=group)
    categories = await category_infos(client, user)
    labels = {"/".join(path): label for path, label in category_labels(categories).items()}
    agent_ids = [parse_uuid(g.key) for g in reports["agent"].groups]
    agents = await names_of(gateway(request).pool, [a for a in agent_ids if a])
    return render(
        request,
        "sla_report.html",
        user=user,
        reports=reports,
        agents={str(k): v["display_name"] for k, v in agents.items()}
        | {"unassigned": words(request, user)("Unassigned")},
        organizations=await organization_names(gateway(request).pool),
        labels=labels,
        since_day=since.date().isoformat() if since else "",
        until_day=until.date().isoformat() if until else "",
    )


# --- contracts -------------------------------------------------------------------------


@get("/contracts", include_in_schema=False)
async def contract_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    return render(
        request, "admin_contracts.html", user=user, contracts=await all_contracts(rpc(request))
    )


async def _contract_page(
    request: Request[Any, Any, Any],
    user: User,
    *,
    contract: ContractView | None,
    latest: int | None,
    values: dict[str, Any],
    errors: Errors | None = None,
    status_code: int = 200,
    form_in_error: str = "targets",
    ladder: list[dict[str, Any]] | None = None,
    channels: dict[str, dict[str, Any]] | None = None,
) -> Response[str]:
    categories = await category_infos(rpc(request), user)
    labels = {"/".join(path): label for path, label in category_labels(categories).items()}
    return render(
        request,
        "admin_contract.html",
        status_code=status_code,
        user=user,
        contract=contract,
        latest=latest,
        values=values,
        errors=errors or {},
        labels=labels,
        calendar_options=[(str(c.calendar_id), c.name) for c in await all_calendars(rpc(request))],
        priorities=list(Priority),
        column_labels={
            "response": "First response",
            "resolution": "Resolution",
            "reminder": "Reminder",
        },
        duration=format_duration,
        reminder=reminder_text,
        form_in_error=form_in_error,
        ladder=ladder or (ladder_rows(contract) if contract else []),
        channel_values=channels or (channel_rows(contract) if contract else {}),
        audiences=ESCALATION_AUDIENCES,
        channel_names=CHANNEL_NAMES,
        policies=list(QuotaPolicy),
    )


@get("/contracts/new", include_in_schema=False)
async def contract_new_form(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    return await _contract_page(
        request, user, contract=None, latest=None, values=contract_values(None)
    )


@get("/contracts/{contract_id:uuid}", include_in_schema=False)
async def contract_page(request: Request[Any, Any, Any], contract_id: UUID) -> Response[str]:
    user = principal(request)
    client = rpc(request)
    latest = await client.ask_as(GetContract(contract_id=contract_id), ContractView)
    try:
        version = int(request.query_params.get("version") or latest.version)
    except ValueError:
        version = latest.version
    shown = latest
    if version != latest.version and 1 <= version < latest.version:
        shown = await client.ask_as(
            GetContract(contract_id=contract_id, version=version), ContractView
        )
    return await _contract_page(
        request, user, contract=shown, latest=latest.version, values=contract_values(shown)
    )


async def contract_base(
    client: RpcClient, contract_id: UUID, base_version: str | None
) -> tuple[ContractView, int]:
    """The version a form was opened on (the newest if it names none or no older one)
    and the newest version's number. Saving revises that version, as a PUT of what was
    read does: every version stays, so nothing saved meanwhile is lost from history."""
    newest = await client.ask_as(GetContract(contract_id=contract_id), ContractView)
    try:
        based_on = int(base_version or newest.version)
    except ValueError:
        based_on = newest.version
    if 1 <= based_on < newest.version:
        older = await client.ask_as(
            GetContract(contract_id=contract_id, version=based_on), ContractView
        )
        return older, newest.version
    return newest, newest.version


async def _save_contract(
    request: Request[Any, Any, Any], contract_id: UUID | None
) -> Response[Any]:
    user = principal(request)
    t = words(request, user)
    client = rpc(request)
    form = await form_values(request)
    rows, targets, origin, errors = parse_targets(form, t)
    values: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "calendar_id": form.get("calendar_id", ""),
        "is_default": "1" if form.get("is_default") == "1" else "",
        "rows": rows,
    }
    base: ContractView | None = None
    latest: int | None = None
    if contract_id is not None:
        base, latest = await contract_base(client, contract_id, form.get("base_version"))
    if not values["name"]:
        errors["name"] = t("This field is required.")
    calendar_id = parse_uuid(values["calendar_id"])
    if calendar_id is None:
        errors["calendar_id"] = t("This field is required.")
    if not targets and not errors:
        errors["targets"] = t("A contract needs at least one target.")
    if not errors:
        try:
            spec = ContractSpec(
                name=values["name"],
                calendar_id=calendar_id,
                targets=tuple(targets),
                # A new version keeps the ladder and quotas of the version it revises.
                escalation=base.escalation if base else None,
                quotas=base.quotas if base else (),
                channels=base.channels if base else (),
                is_default=bool(values["is_default"]),
            )
        except ValidationError as error:
            errors = model_errors(error, values, t)
        else:
            saved, errors = await saved_or_refused(
                client.ask_as(SaveContract(contract_id=contract_id, contract=spec), ContractView),
                t,
                lambda name: contract_field(name, origin),
            )
            if saved is not None:
                return _saved(saved, t)
    return await _contract_page(
        request,
        user,
        contract=base,
        latest=latest,
        values=values,
        errors=errors,
        status_code=422,
    )


def _saved(saved: ContractView, t: Any) -> Response[Any]:
    return back(
        f"/admin/contracts/{saved.contract_id}",
        t("Contract {name} saved as version {version}.", name=saved.name, version=saved.version),
    )


@post("/contracts/new", include_in_schema=False)
async def contract_create(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _save_contract(request, None)


@post("/contracts/{contract_id:uuid}", include_in_schema=False)
async def contract_revise(request: Request[Any, Any, Any], contract_id: UUID) -> Response[Any]:
    return await _save_contract(request, contract_id)


# --- a contract's escalation ladder and channel terms: each form saves a new version
# of the version it was opened on with only its own part changed.


async def _terms_form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The form's fields; a field sent several times (priorities) as a list."""
    form = await request.form()
    values: dict[str, Any] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            if key.endswith("_priorities"):
                values.setdefault(key, []).append(value)
            else:
                values[key] = value
    return values


async def _save_terms(
    request: Request[Any, Any, Any], contract_id: UUID, part: str
) -> Response[Any]:
    user = principal(request)
    t = words(request, user)
    client = rpc(request)
    form = await _terms_form(request)
    base, latest = await contract_base(client, contract_id, form.get("base_version"))
    ladder: list[dict[str, Any]] | None = None
    channels: dict[str, dict[str, Any]] | None = None
    if part == "ladder":
        ladder, steps, errors = parse_ladder(form, t)
        changes: dict[str, Any] = {"escalation": tuple(steps)}
    else:
        channels, terms, quotas, errors = parse_channels(form, base, t)
        changes = {"channels": terms, "quotas": quotas}
    if not errors:
        kept = {
            "name": base.name,
            "calendar_id": base.calendar_id,
            "targets": base.targets,
            "escalation": base.escalation,
            "quotas": base.quotas,
            "channels": base.channels,
            "is_default": base.is_default,
        }
        try:
            spec = ContractSpec(**{**kept, **changes})
        except ValidationError as error:
            errors = {"form": "; ".join(i.message for i in validation_items(error))}
        else:
            saved, errors = await saved_or_refused(
                client.ask_as(SaveContract(contract_id=contract_id, contract=spec), ContractView),
                t,
                lambda name: None,
            )
            if saved is not None:
                return _saved(saved, t)
    return await _contract_page(
        request,
        user,
        contract=base,
        latest=latest,
        values=contract_values(base),
        errors=errors,
        status_code=422,
        form_in_error=part,
        ladder=ladder,
        channels=channels,
    )


@post("/contracts/{contract_id:uuid}/escalation", include_in_schema=False)
async def contract_ladder(request: Request[Any, Any, Any], contract_id: UUID) -> Response[Any]:
    return await _save_terms(request, contract_id, "ladder")


@post("/contracts/{contract_id:uuid}/channels", include_in_schema=False)
async def contract_channels(request: Request[Any, Any, Any], contract_id: UUID) -> Response[Any]:
    return await _save_terms(request, contract_id, "channels")


# --- calendars -------------------------------------------------------------------------


@get("/calendars", include_in_schema=False)
async def calendar_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    return render(
        request,
        "admin_calendars.html",
        user=user,
        calendars=await all_calendars(rpc(request)),
        weekdays=WEEKDAYS,
        short_days=SHORT_DAYS,
    )


async def _calendar_form(
    request: Request[Any, Any, Any],
    user: User,
    *,
    calendar_id: UUID | None,
    values: dict[str, str],
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response[str]:
    return render(
        request,
        "admin_calendar.html",
        status_code=status_code,
        user=user,
        calendar_id=calendar_id,
        values=values,
        errors=errors or {},
        weekdays=WEEKDAYS,
        time_zones=TIME_ZONES,
    )


@get("/calendars/new", include_in_schema=False)
async def calendar_new_form(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    return await _calendar_form(request, user, calendar_id=None, values=calendar_values(None))


@get("/calendars/{calendar_id:uuid}", include_in_schema=False)
async def calendar_edit_form(request: Request[Any, Any, Any], calendar_id: UUID) -> Response[str]:
    user = principal(request)
    found = await rpc(request).ask_as(GetCalendar(calendar_id=calendar_id), CalendarView)
    return await _calendar_form(
        request, user, calendar_id=calendar_id, values=calendar_values(found)
    )


async def _save_calendar(
    request: Request[Any, Any, Any], calendar_id: UUID | None
) -> Response[Any]:
    user = principal(request)
    t = words(request, user)
    values, spec, errors = parse_calendar(await form_values(request), t)
    if spec is not None:
        saved, errors = await saved_or_refused(
            rpc(request).ask_as(SaveCalendar(calendar_id=calendar_id, calendar=spec), CalendarView),
            t,
            calendar_field,
        )
        if saved is not None:
            return back("/admin/calendars", t("Calendar {name} saved.", name=saved.name))
    return await _calendar_form(
        request, user, calendar_id=calendar_id, values=values, errors=errors, status_code=422
    )


@post("/calendars/new", include_in_schema=False)
async def calendar_create(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _save_calendar(request, None)


@post("/calendars/{calendar_id:uuid}", include_in_schema=False)
async def calendar_update(request: Request[Any, Any, Any], calendar_id: UUID) -> Response[Any]:
    return await _save_calendar(request, calendar_id)


PAGES = [sla_report_page]
# Under /admin, for admins only (see app.py).
ADMIN_PAGES = [
    contract_list,
    contract_new_form,
    contract_page,
    contract_create,
    contract_revise,
    contract_ladder,
    contract_channels,
    calendar_list,
    calendar_new_form,
    calendar_edit_form,
    calendar_create,
    calendar_update,
]
