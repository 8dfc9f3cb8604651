"""The staff's load board (each agent's share of their capacity, the backlog; admins
change an agent's skills and capacity there; heads and admins see the latest low ratings,
1–2, with who worked each incident) and the presence every staff page's header shows and
sets."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from desk_contracts.enums import Presence, Role
from desk_contracts.messages import AgentList, ListAgents, ListLowRatings, LowRatings
from desk_runtime.errors import validation_items
from desk_runtime.logging import get_logger
from desk_runtime.rpc import BrokerUnreachable, RemoteFailure, ServiceUnavailable
from litestar import Request, Response, get, post
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from pydantic import ValidationError

from ...accounts import User
from ...deps import gateway, principal, rpc
from ...guards import admins_only, staff_only
from ...web.forms import back, failure_text, form_values, refusable, refusal, words
from ...web.render import render
from ...web.views import category_labels, safe_next
from ..accounts.service import names_of, organization_names
from ..categories.service import category_infos
from .schemas import AgentProfilePatch
from .service import OVERRIDERS, agent_board, backlog, change_profile, set_presence

log = get_logger(__name__)


async def header_presence(request: Request[Any, Any, Any]) -> None:
    """Before a staff page is drawn: the reader's own presence for the header's control
    (None without an agent profile, or while routing does not answer — the page is
    drawn all the same, without the control)."""
    session = getattr(request.state, "session", None)
    if (
        session is None
        or session.kind != "web"
        or request.method != "GET"
        or not session.user.role.is_staff
        or request.url.path.startswith("/api/")
    ):
        return
    try:
        page = await rpc(request).ask_as(
            ListAgents(agent_ids=(session.user.id,), limit=1), AgentList, 2.0
        )
    except (RemoteFailure, ServiceUnavailable, BrokerUnreachable) as error:
        log.warning("header_presence_unknown", error=str(error))
        return
    if page.items:
        request.state.presence = page.items[0].presence.value


def assignment_refusal(error: RemoteFailure | HTTPException, t: Any, user: User) -> str:
    """Why an assignment by hand was refused, in the reader's words; when the agent is
    away or full, what a head or an admin may do about it."""
    blockers = error.failure.data.get("blockers") if isinstance(error, RemoteFailure) else None
    if not blockers or error.failure.status != 409:  # type: ignore[union-attr]
        return str(t(failure_text(error)))
    reasons = []
    for blocker in blockers:
        words_of, _, figures = str(blocker).partition(" (")
        reasons.append(t(words_of) + (f" ({figures}" if figures else ""))
    text = t("Cannot assign: {reasons}.", reasons="; ".join(reasons))
    if user.role in OVERRIDERS:
        return f"{text} {t('Tick “Override capacity” to assign all the same.')}"
    return f"{text} {t('A head or an admin may override.')}"


@post("/presence", include_in_schema=False, guards=[staff_only])
async def change_own_presence(request: Request[Any, Any, Any]) -> Redirect:
    """The header's control: the agent sets their own presence, as the API's
    `PUT /api/v1/agents/{id}/presence` does (routing hears it the same way)."""
    user = principal(request)
    t = words(request, user)
    form = await form_values(request)
    target = safe_next(form.get("next"))
    chosen = form.get("presence", "")
    if chosen not in Presence._value2member_map_:
        return back(target, t("Presence") + ": " + t("choose online, away or offline"), error=True)
    try:
        await set_presence(gateway(request), rpc(request), user.id, Presence(chosen))
    except (RemoteFailure, HTTPException) as error:
        return back(target, t(failure_text(error)), error=True)
    return back(target, t("You are {presence} now.", presence=t(chosen)))


@get("/agents", include_in_schema=False, guards=[staff_only])
async def agents_board(request: Request[Any, Any, Any]) -> Response[str]:
    return await _board(request)


async def _board(
    request: Request[Any, Any, Any],
    *,
    errors: dict[str, str] | None = None,
    editing: UUID | None = None,
    status_code: int = 200,
) -> Response[str]:
    user = principal(request)
    client = rpc(request)
    board, names = await agent_board(gateway(request), client, limit=500)
    waiting = await backlog(client, limit=100)
    agents = sorted(
        (
            {
                "view": a,
                "name": names[a.agent_id]["display_name"] if a.agent_id in names else "—",
                "share": min(1.0, a.load / a.capacity) if a.capacity else 1.0,
                "skill_keys": {"/".join(skill) for skill in a.skills},
            }
            for a in board.items
        ),
        key=lambda row: (-cast(float, row["share"]), str(row["name"])),
    )
    categories = await category_infos(client, user)
    labels = category_labels(categories)
    low: list[dict[str, Any]] = []
    if user.role in (Role.HEAD, Role.ADMIN):
        try:
            ratings = await client.ask_as(ListLowRatings(limit=20), LowRatings)
        except RemoteFailure:  # the board is shown without them
            ratings = LowRatings(items=())
        pool = gateway(request).pool
        people = await names_of(pool, [r.assignee_id for r in ratings.items if r.assignee_id])
        organizations = await organization_names(pool)
        low = [
            {
                "view": r,
                "agent": people[r.assignee_id]["display_name"] if r.assignee_id in people else "—",
                "organization": organizations.get(str(r.organization_id), "—"),
            }
            for r in ratings.items
        ]
    return render(
        request,
        "agents.html",
        status_code=status_code,
        user=user,
        agents=agents,
        backlog=waiting,
        labels=labels,
        skill_options=sorted(("/".join(path), label) for path, label in labels.items()),
        errors=errors or {},
        editing=editing,
        low_ratings=low,
        heads=user.role in (Role.HEAD, Role.ADMIN),
    )


@post("/agents/{agent_id:uuid}", include_in_schema=False, guards=[staff_only, admins_only])
async def change_agent(request: Request[Any, Any, Any], agent_id: UUID) -> Response[Any]:
    """An admin changes an agent's skills and capacity, as `PATCH /api/v1/agents/{id}`
    does: only those two fields are sent, so a presence set meanwhile stays."""
    user = principal(request)
    t = words(request, user)
    form = await request.form()
    skills = [
        [] if not str(key) else str(key).split("/")
        for name, key in form.multi_items()
        if name == "skills"
    ]
    data = {"skills": skills, "capacity": str(form.get("capacity") or "").strip()}
    try:
        patch = AgentProfilePatch.model_validate(data)
    except ValidationError as error:
        errors = {
            item.field.split(".")[0]: t(
                "Capacity: a whole number from 0 to 1000."
                if item.field == "capacity"
                else item.message
            )
            for item in validation_items(error)
        }
        return await _board(request, errors=errors, editing=agent_id, status_code=422)
    try:
        saved = await change_profile(gateway(request), rpc(request), agent_id, patch)
    except (RemoteFailure, HTTPException) as error:
        if isinstance(error, RemoteFailure) and not refusable(error):
            raise
        return await _board(request, errors=refusal(error, t), editing=agent_id, status_code=422)
    return back(
        "/agents",
        t("Skills and capacity of {name} are saved.", name=saved.display_name or agent_id),
    )


PAGES = [agents_board, change_agent, change_own_presence]
