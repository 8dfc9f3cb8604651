"""Users and organizations: the account rules (a client belongs to one organization with
a scope, staff to none; nobody demotes or deactivates themselves) and their SQL. Every
change is announced through the outbox (UserUpserted / OrganizationUpserted) in the
same transaction. The JSON API and the admin pages both call these."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from desk_contracts.enums import Locale, Priority, Role, Scope
from desk_contracts.messages import OrganizationUpserted
from desk_runtime.service import Service, UnitOfWork
from litestar.exceptions import HTTPException, NotFoundException

from ...accounts import User, hash_password
from ...deps import field_error
from ...security import parse_cidr
from ...web.i18n import Translate
from .mail_contacts import checked_domains, domains_of, save_domains
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


class ConflictException(HTTPException):
    status_code = 409


def check_user_shape(role: Role, organization_id: UUID | None, scope: Scope | None) -> None:
    """A client belongs to one organization with a scope; staff belong to none."""
    if role is Role.CLIENT:
        if organization_id is None:
            raise field_error("organization_id", "a client belongs to an organization")
        if scope is None:
            raise field_error("scope", "a client needs a scope (own or organization)")
    else:
        if organization_id is not None:
            raise field_error("organization_id", "staff do not belong to a client organization")
        if scope is not None:
            raise field_error("scope", "only clients have a scope")


def _user_out(row: asyncpg.Record) -> UserOut:
    user = User.from_row(row)
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        phone=user.phone,
        locale=user.locale,
        role=user.role,
        organization_id=user.organization_id,
        scope=user.scope,
        active=user.active,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _organization_out(row: asyncpg.Record, mail_domains: list[str]) -> OrganizationOut:
    return OrganizationOut(
        id=row["id"],
        name=row["name"],
        account_manager_id=row["account_manager_id"],
        contract_id=row["contract_id"],
        ip_allow_list=[str(net) for net in row["ip_allow_list"]],
        mail_category_id=row["mail_category_id"],
        mail_priority=Priority(row["mail_priority"]),
        mail_domains=mail_domains,
        locale=Locale(row["locale"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _allow_list(values: list[str]) -> list[str]:
    networks = []
    for index, value in enumerate(values):
        try:
            networks.append(str(parse_cidr(value)))
        except ValueError as error:
            raise field_error(f"ip_allow_list.{index}", f"not a CIDR: {error}") from error
    return networks


async def _check_organization(uow: UnitOfWork, organization_id: UUID | None) -> None:
    if organization_id is not None and not await uow.conn.fetchval(
        "SELECT 1 FROM organizations WHERE id = $1", organization_id
    ):
        raise field_error("organization_id", "no such organization")


async def _check_staff(uow: UnitOfWork, field: str, user_id: UUID | None) -> None:
    if user_id is not None and not await uow.conn.fetchval(
        "SELECT 1 FROM users WHERE id = $1 AND role <> 'client'", user_id
    ):
        raise field_error(field, "no such staff member")


async def users_page(
    pool: asyncpg.Pool,
    *,
    limit: int,
    offset: int,
    role: Role | None = None,
    organization_id: UUID | None = None,
) -> UserPage:
    """Users by username; filter by role or organization."""
    where = "($1::text IS NULL OR role = $1) AND ($2::uuid IS NULL OR organization_id = $2)"
    args = (role.value if role else None, organization_id)
    total = await pool.fetchval(f"SELECT count(*) FROM users WHERE {where}", *args)
    rows = await pool.fetch(
        f"SELECT * FROM users WHERE {where} ORDER BY lower(username), id LIMIT $3 OFFSET $4",
        *args,
        limit,
        offset,
    )
    return UserPage(total=total, items=[_user_out(r) for r in rows])


async def user_by_id(pool: asyncpg.Pool, user_id: UUID) -> UserOut:
    row = await pool.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
    if row is None:
        raise NotFoundException("user not found")
    return _user_out(row)


async def insert_user(service: Service, data: NewUser) -> UserOut:
    """Create a user; clients need an organization and a scope. Nothing is written
    unless every check passes."""
    check_user_shape(data.role, data.organization_id, data.scope)
    async with service.transaction() as uow:
        await _check_organization(uow, data.organization_id)
        row = await uow.conn.fetchrow(
            """
            INSERT INTO users (id, username, password_hash, display_name, email, phone,
                locale, role, organization_id, scope)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT DO NOTHING RETURNING *
            """,
            uuid4(),
            data.username,
            hash_password(data.password),
            data.display_name,
            data.email,
            data.phone,
            data.locale.value,
            data.role.value,
            data.organization_id,
            data.scope.value if data.scope else None,
        )
        if row is None:
            raise ConflictException(
                "username taken", extra=[{"key": "username", "message": "already taken"}]
            )
        await uow.publish(User.from_row(row).upserted_event())
    return _user_out(row)


async def change_user(service: Service, actor: User, user_id: UUID, data: UserChange) -> UserOut:
    """Change the given fields; a new password, a new role or deactivation ends the
    user's sessions."""
    given = data.model_fields_set
    async with service.transaction() as uow:
        row = await uow.conn.fetchrow("SELECT * FROM users WHERE id = $1 FOR UPDATE", user_id)
        if row is None:
            raise NotFoundException("user not found")
        current = User.from_row(row)
        role = data.role if "role" in given and data.role else current.role
        organization_id = (
            data.organization_id if "organization_id" in given else current.organization_id
        )
        scope = data.scope if "scope" in given else current.scope
        if role.is_staff and "organization_id" not in given:
            organization_id = None
        if role.is_staff and "scope" not in given:
            scope = None
        check_user_shape(role, organization_id, scope)
        active = data.active if "active" in given and data.active is not None else current.active
        if user_id == actor.id and (not active or role is not Role.ADMIN):
            raise ConflictException(
                "you cannot deactivate or demote yourself",
                extra=[{"key": "active" if not active else "role", "message": "not yourself"}],
            )
        await _check_organization(uow, organization_id)
        row = await uow.conn.fetchrow(
            """
            UPDATE users SET display_name = $2, email = $3, phone = $4, locale = $5,
                role = $6, organization_id = $7, scope = $8, active = $9,
                password_hash = coalesce($10, password_hash), updated_at = now()
            WHERE id = $1 RETURNING *
            """,
            user_id,
            data.display_name if data.display_name else current.display_name,
            data.email if "email" in given else current.email,
            data.phone if "phone" in given else current.phone,
            (data.locale or current.locale).value,
            role.value,
            organization_id,
            scope.value if scope else None,
            active,
            hash_password(data.password) if data.password else None,
        )
        if data.password or not active or role is not current.role:
            await uow.conn.execute("DELETE FROM sessions WHERE user_id = $1", user_id)
        await uow.publish(User.from_row(row).upserted_event())
    return _user_out(row)


async def deactivate_user(service: Service, actor: User, user_id: UUID) -> None:
    """Users are deactivated, not erased: history keeps naming its authors."""
    if user_id == actor.id:
        raise ConflictException("you cannot deactivate yourself")
    async with service.transaction() as uow:
        row = await uow.conn.fetchrow(
            "UPDATE users SET active = false, updated_at = now() WHERE id = $1 RETURNING *",
            user_id,
        )
        if row is None:
            raise NotFoundException("user not found")
        await uow.conn.execute("DELETE FROM sessions WHERE user_id = $1", user_id)
        await uow.publish(User.from_row(row).upserted_event())


# --- names and choices other areas show -------------------------------------------------


async def names_of(pool: asyncpg.Pool, ids: Iterable[UUID]) -> dict[UUID, asyncpg.Record]:
    """Username and display name of each given user."""
    rows = await pool.fetch(
        "SELECT id, username, display_name FROM users WHERE id = ANY($1::uuid[])", list(ids)
    )
    return {row["id"]: row for row in rows}


async def active_staff(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Active staff for the account manager and escalation contact choices."""
    rows = await pool.fetch(
        "SELECT id, display_name, role FROM users WHERE role <> 'client' AND active "
        "ORDER BY lower(display_name), id"
    )
    return [{"id": str(r["id"]), "name": r["display_name"], "role": r["role"]} for r in rows]


async def active_role(pool: asyncpg.Pool, user_id: UUID) -> Role | None:
    """The role of an active user; None for an unknown or deactivated one."""
    role = await pool.fetchval("SELECT role FROM users WHERE id = $1 AND active", user_id)
    return Role(role) if role is not None else None


async def client_of(pool: asyncpg.Pool, user_id: UUID) -> asyncpg.Record | None:
    """A client's id and organization (staff filing on a client's behalf)."""
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT id, organization_id FROM users WHERE id = $1 AND role = 'client'", user_id
    )
    return row


async def organization_name(pool: asyncpg.Pool, organization_id: UUID) -> str | None:
    name: str | None = await pool.fetchval(
        "SELECT name FROM organizations WHERE id = $1", organization_id
    )
    return name


async def organization_names(pool: asyncpg.Pool) -> dict[str, str]:
    return {
        str(row["id"]): row["name"]
        for row in await pool.fetch("SELECT id, name FROM organizations")
    }


def _organization_event(row: asyncpg.Record) -> OrganizationUpserted:
    return OrganizationUpserted(
        organization_id=row["id"],
        name=row["name"],
        account_manager_id=row["account_manager_id"],
        contract_id=row["contract_id"],
    )


async def organizations_page(pool: asyncpg.Pool, *, limit: int, offset: int) -> OrganizationPage:
    total = await pool.fetchval("SELECT count(*) FROM organizations")
    rows = await pool.fetch(
        "SELECT * FROM organizations ORDER BY name, id LIMIT $1 OFFSET $2", limit, offset
    )
    domains = await domains_of(pool, [r["id"] for r in rows])
    return OrganizationPage(
        total=total, items=[_organization_out(r, domains.get(r["id"], [])) for r in rows]
    )


async def organization_by_id(pool: asyncpg.Pool, organization_id: UUID) -> OrganizationOut:
    row = await pool.fetchrow("SELECT * FROM organizations WHERE id = $1", organization_id)
    if row is None:
        raise NotFoundException("organization not found")
    domains = await domains_of(pool, [organization_id])
    return _organization_out(row, domains.get(organization_id, []))


def _name_taken() -> ConflictException:
    return ConflictException(
        "an organization with this name exists",
        extra=[{"key": "name", "message": "an organization with this name exists"}],
    )


async def insert_organization(
    service: Service, data: NewOrganization, t: Translate
) -> OrganizationOut:
    """A client company, its account manager, contract, optional IP allow-list, its own
    mail domains and language. Refusals are worded in `t`'s language."""
    networks = _allow_list(data.ip_allow_list)
    wanted = checked_domains(data.mail_domains, t)
    async with service.transaction() as uow:
        await _check_staff(uow, "account_manager_id", data.account_manager_id)
        row = await uow.conn.fetchrow(
            "INSERT INTO organizations (id, name, account_manager_id, contract_id, "
            "ip_allow_list, locale) VALUES ($1, $2, $3, $4, $5::cidr[], $6) "
            "ON CONFLICT DO NOTHING RETURNING *",
            uuid4(),
            data.name.strip(),
            data.account_manager_id,
            data.contract_id,
            networks,
            data.locale.value,
        )
        if row is None:
            raise _name_taken()
        domains = await save_domains(uow, row["id"], wanted, t)
        await uow.publish(_organization_event(row))
    return _organization_out(row, domains)


async def change_organization(
    service: Service, organization_id: UUID, data: OrganizationChange, t: Translate
) -> OrganizationOut:
    """The given fields; `mail_domains` replaces the whole list."""
    given = data.model_fields_set
    networks = _allow_list(data.ip_allow_list) if data.ip_allow_list is not None else None
    wanted = checked_domains(data.mail_domains, t) if data.mail_domains is not None else None
    async with service.transaction() as uow:
        row = await uow.conn.fetchrow(
            "SELECT * FROM organizations WHERE id = $1 FOR UPDATE", organization_id
        )
        if row is None:
            raise NotFoundException("organization not found")
        if "account_manager_id" in given:
            await _check_staff(uow, "account_manager_id", data.account_manager_id)
        name = data.name.strip() if data.name else row["name"]
        if name != row["name"] and await uow.conn.fetchval(
            "SELECT 1 FROM organizations WHERE name = $1", name
        ):
            raise _name_taken()
        row = await uow.conn.fetchrow(
            """
            UPDATE organizations SET name = $2, account_manager_id = $3, contract_id = $4,
                ip_allow_list = coalesce($5::cidr[], ip_allow_list), mail_category_id = $6,
                mail_priority = coalesce($7, mail_priority), locale = coalesce($8, locale),
                updated_at = now()
            WHERE id = $1 RETURNING *
            """,
            organization_id,
            name,
            data.account_manager_id if "account_manager_id" in given else row["account_manager_id"],
            data.contract_id if "contract_id" in given else row["contract_id"],
            networks,
            data.mail_category_id if "mail_category_id" in given else row["mail_category_id"],
            data.mail_priority.value if data.mail_priority is not None else None,
            data.locale.value if data.locale is not None else None,
        )
        if wanted is not None:
            domains = await save_domains(uow, organization_id, wanted, t)
        else:
            domains = (await domains_of(uow.conn, [organization_id])).get(organization_id, [])
        await uow.publish(_organization_event(row))
    return _organization_out(row, domains)
