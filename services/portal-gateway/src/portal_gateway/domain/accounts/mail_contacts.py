"""An organization's own mail domains and the contacts its unknown senders become (SPEC
§14): the domains an admin lists, each one organization's at most; the client account a
mail from an unknown address of one of them files — created once, however many mails
of that address arrive at the same time. The rules (what a domain is, the contact's
username, name and language) are pure, in `domain/mail/contacts.py`."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID, uuid4

import asyncpg
from desk_contracts.enums import Locale, Role, Scope
from desk_runtime.service import Service, UnitOfWork
from litestar.exceptions import HTTPException

from ...accounts import NO_PASSWORD, User
from ...deps import field_error
from ...web.i18n import Translate
from ..mail.contacts import NOT_A_DOMAIN, NotADomain, contact_usernames, normal_domains

DOMAIN_TAKEN = "{domain} is a mail domain of {name} already"


class DomainTaken(HTTPException):
    status_code = 409


def checked_domains(values: Iterable[str], t: Translate) -> list[str]:
    """The listed domains normalised; a 422 naming the first that is none."""
    try:
        return normal_domains(values)
    except NotADomain as error:
        raise field_error(
            f"mail_domains.{error.index}", t(NOT_A_DOMAIN, value=error.value)
        ) from error


async def domains_of(
    conn: asyncpg.Pool | asyncpg.Connection, organization_ids: Iterable[UUID]
) -> dict[UUID, list[str]]:
    """Each organization's mail domains, in alphabetical order."""
    rows = await conn.fetch(
        "SELECT organization_id, domain FROM organization_mail_domains "
        "WHERE organization_id = ANY($1::uuid[]) ORDER BY domain",
        list(organization_ids),
    )
    found: dict[UUID, list[str]] = {}
    for row in rows:
        found.setdefault(row["organization_id"], []).append(row["domain"])
    return found


async def save_domains(
    uow: UnitOfWork, organization_id: UUID, domains: list[str], t: Translate
) -> list[str]:
    """The organization's domains become `domains` (normalised already); one that is
    another organization's — even one saved a moment ago by another admin — refuses
    the whole change with a 409 naming it (the caller's transaction rolls back)."""
    await uow.conn.execute(
        "DELETE FROM organization_mail_domains "
        "WHERE organization_id = $1 AND domain <> ALL($2::text[])",
        organization_id,
        domains,
    )
    for index, domain in enumerate(domains):
        owner = await uow.conn.fetchval(
            """
            WITH added AS (
                INSERT INTO organization_mail_domains (domain, organization_id)
                VALUES ($1, $2) ON CONFLICT (domain) DO NOTHING RETURNING organization_id
            )
            SELECT coalesce(
                (SELECT organization_id FROM added),
                (SELECT organization_id FROM organization_mail_domains WHERE domain = $1))
            """,
            domain,
            organization_id,
        )
        if owner != organization_id:
            name = await uow.conn.fetchval("SELECT name FROM organizations WHERE id = $1", owner)
            message = t(DOMAIN_TAKEN, domain=domain, name=name)
            raise DomainTaken(message, extra=[{"key": f"mail_domains.{index}", "message": message}])
    return sorted(domains)


async def organization_of_domain(pool: asyncpg.Pool, domain: str) -> asyncpg.Record | None:
    """The organization that owns a (normalised) domain: its id and language."""
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT o.id, o.locale FROM organization_mail_domains d "
        "JOIN organizations o ON o.id = d.organization_id WHERE d.domain = $1",
        domain,
    )
    return row


async def contact_for_mail(
    service: Service,
    *,
    organization_id: UUID,
    email: str,
    display_name: str,
    locale: Locale,
) -> User | None:
    """The client this address belongs to, created as a contact of the organization when
    no user has it: scope `own`, no password (the contact sets one with a reset link to
    its address, or an admin gives one), announced like any new user. Mails of the same
    new address racing here wait for each other (a lock on the address), so one contact
    is created. None when the address is a user's who is not one active client (staff,
    deactivated, shared): such mail is refused."""
    async with service.transaction() as uow:
        await uow.conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            f"mail-contact:{email.lower()}",
        )
        rows = await uow.conn.fetch(
            "SELECT * FROM users WHERE lower(email) = lower($1) ORDER BY created_at, id", email
        )
        if rows:
            only = rows[0] if len(rows) == 1 else None
            if only is not None and only["active"] and only["role"] == Role.CLIENT.value:
                return User.from_row(only)
            return None
        row = None
        for username in contact_usernames(email):
            row = await uow.conn.fetchrow(
                """
                INSERT INTO users (id, username, password_hash, display_name, email, locale,
                    role, organization_id, scope)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                ON CONFLICT DO NOTHING RETURNING *
                """,
                uuid4(),
                username,
                NO_PASSWORD,
                display_name,
                email.lower(),
                locale.value,
                Role.CLIENT.value,
                organization_id,
                Scope.OWN.value,
            )
            if row is not None:
                break
        if row is None:
            raise RuntimeError(f"no free username for {email}")
        contact = User.from_row(row)
        await uow.publish(contact.upserted_event())
    return contact
