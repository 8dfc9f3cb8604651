"""Admin CRUD of users and organizations over the JSON API (admins only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from desk_contracts.enums import Role
from desk_runtime.service import Service
from litestar import Controller, Request, delete, get, patch, post

from ...accounts import User
from ...deps import Limit, Offset
from ...guards import admins_only, signed_in
from ...web.forms import words
from .schemas import (
    NewOrganization,
    NewUser,
    OrganizationChange,
    OrganizationOut,
    OrganizationPage,
    UserChange,
    UserOut,
    UserPage,
)
from .service import (
    change_organization,
    change_user,
    deactivate_user,
    insert_organization,
    insert_user,
    organization_by_id,
    organizations_page,
    user_by_id,
    users_page,
)


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["accounts"]
    guards = [signed_in, admins_only]

    @get("/", operation_id="listUsers")
    async def list_users(
        self,
        request: Request[Any, Any, Any],
        user: User,
        limit: Limit = 50,
        offset: Offset = 0,
        role: Role | None = None,
        organization_id: UUID | None = None,
    ) -> UserPage:
        """Users by username; filter by role or organization."""
        service: Service = request.app.state.service
        return await users_page(
            service.pool, limit=limit, offset=offset, role=role, organization_id=organization_id
        )

    @post("/", operation_id="createUser", status_code=201)
    async def create_user(
        self, request: Request[Any, Any, Any], user: User, data: NewUser
    ) -> UserOut:
        """Create a user; clients need an organization and a scope."""
        return await insert_user(request.app.state.service, data)

    @get("/{user_id:uuid}", operation_id="getUser")
    async def get_user(self, request: Request[Any, Any, Any], user: User, user_id: UUID) -> UserOut:
        service: Service = request.app.state.service
        return await user_by_id(service.pool, user_id)

    @patch("/{user_id:uuid}", operation_id="updateUser")
    async def update_user(
        self, request: Request[Any, Any, Any], user: User, user_id: UUID, data: UserChange
    ) -> UserOut:
        """Change fields; a new password or deactivation ends the user's sessions."""
        return await change_user(request.app.state.service, user, user_id, data)

    @delete("/{user_id:uuid}", operation_id="deactivateUser", status_code=204)
    async def deactivate_user(
        self, request: Request[Any, Any, Any], user: User, user_id: UUID
    ) -> None:
        """Users are deactivated, not erased: history keeps naming its authors."""
        await deactivate_user(request.app.state.service, user, user_id)


class OrganizationController(Controller):
    path = "/api/v1/organizations"
    tags = ["accounts"]
    guards = [signed_in, admins_only]

    @get("/", operation_id="listOrganizations")
    async def list_organizations(
        self, request: Request[Any, Any, Any], user: User, limit: Limit = 50, offset: Offset = 0
    ) -> OrganizationPage:
        service: Service = request.app.state.service
        return await organizations_page(service.pool, limit=limit, offset=offset)

    @post("/", operation_id="createOrganization", status_code=201)
    async def create_organization(
        self, request: Request[Any, Any, Any], user: User, data: NewOrganization
    ) -> OrganizationOut:
        """A client company, its account manager, contract and optional IP allow-list;
        `mail_domains`: domains it owns, whose unknown senders' mail files a new contact
        of it (speaking `locale` when the mail names no language)."""
        return await insert_organization(request.app.state.service, data, words(request, user))

    @get("/{organization_id:uuid}", operation_id="getOrganization")
    async def get_organization(
        self, request: Request[Any, Any, Any], user: User, organization_id: UUID
    ) -> OrganizationOut:
        service: Service = request.app.state.service
        return await organization_by_id(service.pool, organization_id)

    @patch("/{organization_id:uuid}", operation_id="updateOrganization")
    async def update_organization(
        self,
        request: Request[Any, Any, Any],
        user: User,
        organization_id: UUID,
        data: OrganizationChange,
    ) -> OrganizationOut:
        """The given fields; `mail_domains` replaces the list (each domain one
        organization's at most: another's is a 409 naming it)."""
        return await change_organization(
            request.app.state.service, organization_id, data, words(request, user)
        )
