"""Who may file through the portal: clients (staff record a client's request through the
API, naming the client)."""

from __future__ import annotations

from desk_contracts.enums import Role
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from ...deps import principal_of
from ...guards import Connection


def clients_only(connection: Connection, _: BaseRouteHandler) -> None:
    if principal_of(connection).role is not Role.CLIENT:
        raise PermissionDeniedException("the portal files incidents for clients")
