"""The bootstrap admin and the demo data set (DESK_DEMO=1).

Seeding adds what is missing and never overwrites: every start runs it, and an admin may
have changed any demo item since (a capacity, a name, an organization's contract).
Users and organizations are ours: a row is inserted only when absent, and its
UserUpserted / OrganizationUpserted is announced only when it was (re-announcing the
demo's version would overwrite the copies other services keep). Categories belong to
intake and agent profiles to routing: each command is sent once, as `demo_seeded`
records, all through the outbox in the seed's transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from desk_contracts.enums import Locale, Presence, Role, Scope
from desk_contracts.messages import OrganizationUpserted, UpsertAgentProfile, UpsertCategory
from desk_runtime.logging import get_logger
from desk_runtime.service import Service, UnitOfWork

from .accounts import User, hash_password

log = get_logger(__name__)

DEMO_PASSWORD = "demo-desk-2026"


def demo_id(name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"service-desk:demo:{name}")


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    locale: Locale = Locale.EN
    organization: str | None = None
    scope: Scope | None = None
    phone: str | None = None

    @property
    def id(self) -> UUID:
        return demo_id(f"user:{self.username}")


ACME = "Acme Manufacturing"
DEMO_USERS = (
    DemoUser("anna", "Anna Agent", Role.AGENT),
    DemoUser("boris", "Борис Иванов", Role.AGENT, Locale.RU),
    DemoUser("helen", "Helen Head", Role.HEAD),
    DemoUser("mike", "Mike Manager", Role.MANAGER),
    DemoUser("alice", "Alice Client", Role.CLIENT, Locale.EN, ACME, Scope.OWN, "+15550100"),
    DemoUser("carl", "Карл Клиентов", Role.CLIENT, Locale.RU, ACME, Scope.ORGANIZATION),
)

# (path of codes, name, colour, escalation contact username)
DEMO_CATEGORIES: tuple[tuple[tuple[str, ...], str, str, str | None], ...] = (
    (("fault",), "Fault", "#d32f2f", None),
    (("fault", "software"), "Software error", "#e53935", "helen"),
    (("fault", "software", "crash"), "Critical software error", "#b71c1c", "helen"),
    (("fault", "hardware"), "Hardware", "#ef6c00", None),
    (("order",), "Order", "#1976d2", None),
    (("order", "development"), "Development order", "#1e88e5", None),
    (("consultation",), "Consultation", "#388e3c", None),
    (("complaint",), "Complaint", "#7b1fa2", None),
)

# What the demo organization's e-mail is filed under.
DEMO_MAIL_CATEGORY = ("fault", "software")

DEMO_AGENTS = (
    # username, skills, capacity
    ("anna", (("fault",), ("consultation",)), 5),
    ("boris", ((),), 3),
)


def category_id(path: tuple[str, ...]) -> UUID:
    return demo_id("category:" + "/".join(path))


async def ensure_admin(service: Service) -> None:
    """Create `admin` when no admin exists, with DESK_ADMIN_PASSWORD or a printed one."""
    async with service.transaction() as uow:
        if await uow.conn.fetchval("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1"):
            return
        password = service.settings.admin_password or secrets.token_urlsafe(12)
        admin = User(
            id=demo_id("user:admin"),
            username="admin",
            display_name="Administrator",
            email="admin@desk.local",
            phone=None,
            locale=Locale.EN,
            role=Role.ADMIN,
            organization_id=None,
            scope=None,
            active=True,
        )
        await _insert_user(uow, admin, password)
    if not service.settings.admin_password:
        print(f"\n  Bootstrap admin created: username 'admin', password '{password}'\n", flush=True)
    log.info("admin_created")


async def _insert_user(uow: UnitOfWork, user: User, password: str) -> bool:
    inserted = await uow.conn.fetchval(
        """
        INSERT INTO users (id, username, password_hash, display_name, email, phone, locale,
            role, organization_id, scope)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT DO NOTHING RETURNING true
        """,
        user.id,
        user.username,
        hash_password(password),
        user.display_name,
        user.email,
        user.phone,
        user.locale.value,
        user.role.value,
        user.organization_id,
        user.scope.value if user.scope else None,
    )
    if inserted:
        await uow.publish(user.upserted_event())
    return bool(inserted)


async def _first_time(uow: UnitOfWork, item: str) -> bool:
    """Record that the demo's command for `item` is being sent; false if it was before."""
    return bool(
        await uow.conn.fetchval(
            "INSERT INTO demo_seeded (item) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true",
            item,
        )
    )


async def seed_demo(service: Service) -> None:
    async with service.transaction() as uow:
        organization_id = demo_id(f"organization:{ACME}")
        manager_id = demo_id("user:mike")
        # A desk seeded before `demo_seeded` existed sent every command then.
        seeded_unrecorded = await uow.conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM organizations WHERE id = $1) "
            "AND NOT EXISTS (SELECT 1 FROM demo_seeded)",
            organization_id,
        )
        if await uow.conn.fetchval(
            # Its clients' e-mail is filed as software errors (an admin may change it).
            "INSERT INTO organizations (id, name, account_manager_id, mail_category_id) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
            organization_id,
            ACME,
            manager_id,
            category_id(DEMO_MAIL_CATEGORY),
        ):
            await uow.publish(
                OrganizationUpserted(
                    organization_id=organization_id, name=ACME, account_manager_id=manager_id
                )
            )
        for demo in DEMO_USERS:
            user = User(
                id=demo.id,
                username=demo.username,
                display_name=demo.display_name,
                email=f"{demo.username}@example.com",
                phone=demo.phone,
                locale=demo.locale,
                role=demo.role,
                organization_id=demo_id(f"organization:{demo.organization}")
                if demo.organization
                else None,
                scope=demo.scope,
                active=True,
            )
            await _insert_user(uow, user, DEMO_PASSWORD)
        for path, name, colour, contact in DEMO_CATEGORIES:
            item = "category:" + "/".join(path)
            if not await _first_time(uow, item) or seeded_unrecorded:
                continue
            await uow.publish(
                UpsertCategory(
                    category_id=category_id(path),
                    parent_id=category_id(path[:-1]) if len(path) > 1 else None,
                    code=path[-1],
                    name=name,
                    colour=colour,
                    escalation_contact_id=demo_id(f"user:{contact}") if contact else None,
                )
            )
        for username, skills, capacity in DEMO_AGENTS:
            if not await _first_time(uow, f"agent:{username}") or seeded_unrecorded:
                continue
            await uow.publish(
                UpsertAgentProfile(
                    agent_id=demo_id(f"user:{username}"),
                    skills=skills,
                    capacity=capacity,
                    presence=Presence.ONLINE,
                    group_head_id=demo_id("user:helen"),
                )
            )
        sent = len(uow.end.outbox)
    log.info("demo_data_seeded", messages_sent=sent)
