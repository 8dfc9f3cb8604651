"""Who may set an agent's presence: the agent itself, or an admin."""

from __future__ import annotations

from desk_contracts.enums import Role
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from ...deps import principal_of
from ...guards import Connection


def self_or_admin(connection: Connection, _: BaseRouteHandler) -> None:
    user = principal_of(connection)
    if str(user.id) != str(connection.path_params.get("agent_id")) and user.role is not Role.ADMIN:
        raise PermissionDeniedException("only the agent itself or an admin sets presence")
