"""Who reads staffing: heads and admins."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from ...deps import principal_of
from .service import READERS


def heads_and_admins(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if principal_of(connection).role not in READERS:
        raise PermissionDeniedException("heads and admins only")
