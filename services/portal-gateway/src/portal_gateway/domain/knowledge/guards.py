"""Who edits the knowledge base and reads its report: admins and heads."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from ...deps import principal_of
from .service import EDITORS


def editors_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if principal_of(connection).role not in EDITORS:
        raise PermissionDeniedException("admins and heads only")
