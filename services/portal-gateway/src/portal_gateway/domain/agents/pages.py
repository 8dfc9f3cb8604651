"""The staff's load board: each agent's share of their capacity and the backlog; for
heads and admins also the latest low ratings (1–2) with who worked each incident."""

from __future__ import annotations

from typing import Any, cast

from desk_contracts.enums import Role
from desk_contracts.messages import ListLowRatings, LowRatings
from desk_runtime.rpc import RemoteFailure
from litestar import Request, Response, get

from ...deps import gateway, principal, rpc
from ...guards import staff_only
from ...web.render import render
from ...web.views import category_labels
from ..accounts.service import names_of, organization_names
from ..categories.service import category_infos
from .service import agent_board, backlog


@get("/agents", include_in_schema=False, guards=[staff_only])
async def agents_board(request: Request[Any, Any, Any]) -> Response[str]:
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
            }
            for a in board.items
        ),
        key=lambda row: (-cast(float, row["share"]), str(row["name"])),
    )
    categories = await category_infos(client, user)
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
        user=user,
        agents=agents,
        backlog=waiting,
        labels=category_labels(categories),
        low_ratings=low,
        heads=user.role in (Role.HEAD, Role.ADMIN),
    )


PAGES = [agents_board]
