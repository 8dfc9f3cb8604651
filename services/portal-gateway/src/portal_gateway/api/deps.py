"""Dependencies and guards every controller shares."""

from __future__ import annotations

from typing import Any

from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from litestar import Request
from litestar.exceptions import (
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)

from ..accounts import User, user_for_token


async def current_user(request: Request[Any, Any, Any]) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException("missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    service: Service = request.app.state.service
    user = await user_for_token(service.pool, token.strip())
    if user is None:
        raise NotAuthorizedException(
            "invalid or expired token", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


def require_staff(user: User) -> None:
    """Staff-only routes answer 403 to clients (they know such routes exist)."""
    if not user.role.is_staff:
        raise PermissionDeniedException("staff only")


def rpc(request: Request[Any, Any, Any]) -> RpcClient:
    client: RpcClient = request.app.state.rpc
    return client


def field_error(field: str, message: str) -> ValidationException:
    """A 422 naming one field, in the public error shape."""
    return ValidationException(
        detail=f"{field}: {message}", extra=[{"key": field, "message": message}]
    )
