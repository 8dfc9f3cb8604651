"""The public JSON API (v1)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

from desk_contracts.enums import Channel, Role
from desk_contracts.messages import CreateIncident, GetIncident, IncidentCreated, IncidentView
from desk_runtime.rpc import RpcClient
from desk_runtime.service import Service
from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.params import Parameter

from .accounts import (
    TOKEN_LIFETIME,
    User,
    issue_token,
    user_by_username,
    user_for_token,
    verify_password,
)
from .schemas import Created, Entry, Incident, Me, NewIncident, TokenRequest, TokenResponse


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


def staff_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = connection.scope.get("state", {}).get("user")
    if user is not None and not user.role.is_staff:
        raise PermissionDeniedException("staff only")


def rpc(request: Request[Any, Any, Any]) -> RpcClient:
    client: RpcClient = request.app.state.rpc
    return client


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/token", operation_id="issueToken", status_code=200)
    async def token(self, request: Request[Any, Any, Any], data: TokenRequest) -> TokenResponse:
        """Exchange a username and password for a bearer token."""
        service: Service = request.app.state.service
        row = await user_by_username(service.pool, data.username)
        if not verify_password(row["password_hash"] if row else None, data.password) or (
            row is not None and not row["active"]
        ):
            raise NotAuthorizedException("wrong username or password")
        assert row is not None
        async with service.pool.acquire() as conn:
            token = await issue_token(conn, row["id"])
        return TokenResponse(access_token=token, expires_in=int(TOKEN_LIFETIME.total_seconds()))


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["auth"]
    dependencies = {"user": Provide(current_user)}

    @get("/", operation_id="getMe")
    async def me(self, user: User) -> Me:
        """The authenticated principal."""
        return Me(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            email=user.email,
            phone=user.phone,
            locale=user.locale,
            role=user.role,
            organization_id=user.organization_id,
            scope=user.scope,
        )


class IncidentController(Controller):
    path = "/api/v1/incidents"
    tags = ["incidents"]
    dependencies = {"user": Provide(current_user), "client": Provide(rpc, sync_to_thread=False)}

    @post("/", operation_id="createIncident", status_code=201)
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: NewIncident,
        user: User,
        client: RpcClient,
        idempotency_key: Annotated[UUID | None, Parameter(header="Idempotency-Key")] = None,
    ) -> Created:
        """File an incident. Clients file for themselves; staff may name the requester."""
        requester_id, organization_id = user.id, user.organization_id
        if user.role is Role.CLIENT:
            if data.requester_id not in (None, user.id):
                raise PermissionDeniedException("clients file incidents for themselves")
        else:
            if data.requester_id is None:
                raise _field_error("requester_id", "staff must name the client who asks")
            service: Service = request.app.state.service
            requester = await service.pool.fetchrow(
                "SELECT id, organization_id FROM users WHERE id = $1 AND role = 'client'",
                data.requester_id,
            )
            if requester is None:
                raise _field_error("requester_id", "no such client")
            requester_id, organization_id = requester["id"], requester["organization_id"]
        assert organization_id is not None
        created = await client.ask(
            CreateIncident(
                request_id=idempotency_key or uuid4(),
                principal=user.principal,
                requester_id=requester_id,
                organization_id=organization_id,
                title=data.title,
                description=data.description,
                category_id=data.category_id,
                priority=data.priority,
                channel=data.channel or Channel.API,
            )
        )
        assert isinstance(created, IncidentCreated)
        return Created(id=created.incident_id, number=created.number)

    @get("/{incident_id:uuid}", operation_id="getIncident")
    async def detail(self, incident_id: UUID, user: User, client: RpcClient) -> Incident:
        """The incident with its history; clients see public entries only."""
        view = await client.ask(GetIncident(principal=user.principal, incident_id=incident_id))
        assert isinstance(view, IncidentView)
        return _incident(view)


def _incident(view: IncidentView) -> Incident:
    data = view.model_dump()
    data["id"] = data.pop("incident_id")
    data["entries"] = [
        Entry(
            id=e.entry_id,
            kind=e.kind,
            visibility=e.visibility,
            author_id=e.author_id,
            text=e.text,
            created_at=e.created_at,
        )
        for e in view.entries
    ]
    return Incident.model_validate(data)


def _field_error(field: str, message: str) -> Exception:
    from litestar.exceptions import ValidationException

    return ValidationException(
        detail=f"{field}: {message}", extra=[{"key": field, "message": message}]
    )


__all__ = ["AuthController", "IncidentController", "MeController", "NotFoundException"]
