"""The staff's load board: each agent's share of their capacity and the backlog."""

from __future__ import annotations

from typing import Any, cast

from litestar import Request, Response, get

from ...deps import gateway, principal, rpc
from ...guards import staff_only
from ...web.render import render
from ...web.views import category_labels
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
    return render(
        request,
        "agents.html",
        user=user,
        agents=agents,
        backlog=waiting,
        labels=category_labels(categories),
    )


PAGES = [agents_board]
