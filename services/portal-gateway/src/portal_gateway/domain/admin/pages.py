"""The admin overview: how many organizations, users, categories, contracts and
calendars the desk has, with links to their pages."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from ...deps import gateway, principal, rpc
from ...web.render import render
from ..accounts.service import organizations_page, users_page
from ..categories.service import all_categories
from ..sla.service import all_calendars, all_contracts


@get("/", include_in_schema=False)
async def admin_home(request: Request[Any, Any, Any]) -> Response[str]:
    user = principal(request)
    pool = gateway(request).pool
    counts = {
        "organizations": (await organizations_page(pool, limit=1, offset=0)).total,
        "users": (await users_page(pool, limit=1, offset=0)).total,
        "categories": len(await all_categories(rpc(request), user)),
        "contracts": len(await all_contracts(rpc(request))),
        "calendars": len(await all_calendars(rpc(request))),
    }
    return render(request, "admin_index.html", user=user, counts=counts)


# Under /admin, for admins only (see app.py).
ADMIN_PAGES = [admin_home]
