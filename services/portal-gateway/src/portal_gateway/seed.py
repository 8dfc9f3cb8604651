"""The bootstrap admin and the demo data set (DESK_DEMO=1).

Seeding adds what is missing and never overwrites: every start runs it, and an admin may
have changed any demo item since (a capacity, a name, an organization's contract).
Users and organizations are ours: a row is inserted only when absent, and its
UserUpserted / OrganizationUpserted is announced only when it was (re-announcing the
demo's version would overwrite the copies other services keep). Categories belong to
intake, agent profiles to routing, equipment to assets and articles to knowledge: each
command is sent once, as `demo_seeded` records, all through the outbox in the seed's
transaction. So is the demo month (domain/demo_month.py): its incidents to intake, the
agents' online stretches to routing, planned back from the day it is first sent.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from desk_contracts.enums import Locale, Presence, Role, Scope
from desk_contracts.messages import (
    EquipmentTerms,
    OnlineStretch,
    OrganizationUpserted,
    SeedArticle,
    SeededIncident,
    SeedIncidentHistory,
    SeedPresenceHistory,
    UpsertAgentProfile,
    UpsertCategory,
    UpsertEquipment,
)
from desk_runtime.logging import get_logger
from desk_runtime.service import Service, UnitOfWork

from .accounts import User, hash_password
from .domain import demo_month
from .domain.knowledge.demo import DEMO_ARTICLES, history
from .domain.packages.demo import PREMIUM, STANDARD, demo_packages

log = get_logger(__name__)

# Incidents of the demo month per message to intake (one transaction each there).
HISTORY_BATCH = 40

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
GLOBEX = "Globex Logistics"
# Each demo organization and the package it is on (SPEC §12).
DEMO_ORGANIZATIONS = ((ACME, STANDARD), (GLOBEX, PREMIUM))
DEMO_USERS = (
    DemoUser("anna", "Anna Agent", Role.AGENT),
    DemoUser("boris", "Борис Иванов", Role.AGENT, Locale.RU),
    DemoUser("helen", "Helen Head", Role.HEAD),
    DemoUser("mike", "Mike Manager", Role.MANAGER),
    DemoUser("alice", "Alice Client", Role.CLIENT, Locale.EN, ACME, Scope.OWN, "+15550100"),
    DemoUser("carl", "Карл Клиентов", Role.CLIENT, Locale.RU, ACME, Scope.ORGANIZATION),
    DemoUser("greta", "Greta Client", Role.CLIENT, Locale.EN, GLOBEX, Scope.ORGANIZATION),
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


# The demo's equipment (SPEC §13): (model, manufacturer, serial, location, days from the
# first seed to the warranty's end, to the service contract's end, maintenance interval
# in months, days since the last maintenance). Some warranties and contracts end within
# the lead times (30 and 60 days), so their notices reach the mail sink right after
# `make run`; others have ended or run for years.
DEMO_EQUIPMENT: tuple[
    tuple[str, str, str, str, int | None, int | None, int | None, int | None], ...
] = (
    ("LaserJet Enterprise M507", "HP", "CNB3K10001", "Office 101", 12, 400, 6, 30),
    ("LaserJet Enterprise M507", "HP", "CNB3K10002", "Office 102", 25, 400, 6, 60),
    ("LaserJet Pro M404", "HP", "PHB8R20003", "Reception", 700, 45, 12, 100),
    ("imageRUNNER ADVANCE C5550i", "Canon", "2RG04417", "Print room", -30, 20, 3, 88),
    ("imageRUNNER 2630i", "Canon", "XUJ09921", "Accounts", 300, 300, 6, 10),
    ("ThinkSystem SR650", "Lenovo", "J30A7K21", "Server room, rack 2", 900, 180, 12, 200),
    ("ThinkSystem SR630", "Lenovo", "J30A7K22", "Server room, rack 2", 900, 180, 12, 363),
    ("PowerEdge R740", "Dell", "7XK2M53", "Server room, rack 1", -400, 55, 6, 170),
    ("PowerEdge R750", "Dell", "8ZL4N61", "Server room, rack 1", 500, 500, 6, 20),
    ("Catalyst 9300-48P", "Cisco", "FOC2411X0AB", "Floor 1 closet", 200, 800, None, None),
    ("Catalyst 9200-24T", "Cisco", "FOC2411X0AC", "Floor 2 closet", 200, 800, None, None),
    ("ISR 4331", "Cisco", "FDO2150A1QZ", "Server room", -90, 365, None, None),
    ("Smart-UPS SRT 3000", "APC", "AS1933120555", "Server room", 28, 90, 6, 178),
    ("Smart-UPS SMT 1500", "APC", "AS1933120556", "Accounts", 600, None, 12, 50),
    ("ThinkPad T14 Gen 4", "Lenovo", "PF4XK0A1", "Sales", 800, None, None, None),
    ("ThinkPad T14 Gen 4", "Lenovo", "PF4XK0A2", "Sales", 800, None, None, None),
    ("ThinkPad X1 Carbon Gen 11", "Lenovo", "PF4XK0B7", "Management", 5, None, None, None),
    ("Latitude 5440", "Dell", "4HQW2Z3", "Support", 420, None, None, None),
    ("Latitude 5440", "Dell", "4HQW2Z4", "Support", -10, None, None, None),
    ("EliteDesk 800 G9", "HP", "CZC3219JKL", "Warehouse", 250, 250, 12, 300),
    ("WorkCentre 6515", "Xerox", "3390556712", "Warehouse office", -200, 15, 6, 181),
    ("DS1821+", "Synology", "2140QBR01234", "Server room", 1000, 1000, 12, 0),
    ("FortiGate 60F", "Fortinet", "FGT60FTK2109A1B2", "Server room", 150, 58, 12, 364),
    ("EcoTank M3170", "Epson", "X5NN004512", "Workshop", 40, None, None, None),
)


def demo_equipment(today: date) -> list[tuple[UUID, EquipmentTerms]]:
    """The demo's devices with their dates counted from `today`."""
    devices = []
    for model, maker, serial, location, warranty, contract, interval, serviced in DEMO_EQUIPMENT:
        installed = today - timedelta(days=400)

        def day(offset: int | None) -> date | None:
            return None if offset is None else today + timedelta(days=offset)

        devices.append(
            (
                demo_id(f"equipment:{maker}/{serial}"),
                EquipmentTerms(
                    model=model,
                    manufacturer=maker,
                    serial_number=serial,
                    location=location,
                    installed_on=installed,
                    warranty_until=day(warranty),
                    service_contract_until=day(contract),
                    maintenance_interval_months=interval,
                    last_maintenance_on=day(-serviced) if serviced is not None else None,
                ),
            )
        )
    return devices


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
        # Two gateways starting together: the second finds the first one's row and
        # neither prints nor logs a password that is not the one stored.
        if not await _insert_user(uow, admin, password):
            return
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


def demo_month_plan(
    today: datetime,
) -> tuple[tuple[SeededIncident, ...], tuple[OnlineStretch, ...]]:
    """The demo month counted back from `today`, under the demo's ids."""
    return demo_month.plan(
        today,
        demo_month.Ids(
            user=lambda name: demo_id(f"user:{name}"),
            category=category_id,
            incident=lambda n: demo_id(f"history:incident:{n}"),
            organization=lambda key: demo_id(f"organization:{GLOBEX if key == 'globex' else ACME}"),
        ),
    )


async def _send_month(uow: UnitOfWork) -> None:
    """The demo month, counted back from today: what intake and routing write of it."""
    incidents, stretches = demo_month_plan(datetime.now(UTC))
    for start in range(0, len(incidents), HISTORY_BATCH):
        await uow.publish(SeedIncidentHistory(incidents=incidents[start : start + HISTORY_BATCH]))
    await uow.publish(SeedPresenceHistory(stretches=stretches))


async def _seed_organization(
    uow: UnitOfWork, name: str, contract_id: UUID, manager_id: UUID, seeded_unrecorded: bool
) -> None:
    """The organization on its package, managed by the demo's account manager; its
    clients' e-mail is filed as software errors (an admin may change either). One that
    exists without a contract is put on its package once (a desk seeded before the
    packages were); any other is left as it is."""
    organization_id = demo_id(f"organization:{name}")
    row = await uow.conn.fetchrow(
        "INSERT INTO organizations (id, name, account_manager_id, mail_category_id, "
        "contract_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING *",
        organization_id,
        name,
        manager_id,
        category_id(DEMO_MAIL_CATEGORY),
        contract_id,
    )
    first = await _first_time(uow, f"organization-package:{name}")
    if row is None and first and not seeded_unrecorded:
        row = await uow.conn.fetchrow(
            "UPDATE organizations SET contract_id = $2 WHERE id = $1 AND contract_id IS NULL "
            "RETURNING *",
            organization_id,
            contract_id,
        )
    if row is not None:
        await uow.publish(
            OrganizationUpserted(
                organization_id=row["id"],
                name=row["name"],
                account_manager_id=row["account_manager_id"],
                contract_id=row["contract_id"],
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
        # The packages first: sla creates each once, and an organization named on one
        # sla does not know yet is registered under the default contract meanwhile.
        for package in demo_packages(demo_id):
            if not await _first_time(uow, f"package:{package.contract.name}") or seeded_unrecorded:
                continue
            await uow.publish(package)
        for name, package_name in DEMO_ORGANIZATIONS:
            await _seed_organization(
                uow, name, demo_id(f"package:{package_name}"), manager_id, seeded_unrecorded
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
        for index, article in enumerate(DEMO_ARTICLES):
            if not await _first_time(uow, f"article:{article.slug}") or seeded_unrecorded:
                continue
            await uow.publish(
                SeedArticle(
                    article_id=demo_id(f"article:{article.slug}"),
                    spec=article.spec(category_id),
                    author_id=demo_id("user:helen"),
                    history=history(
                        index, article, category_id, lambda name: demo_id(f"user:{name}")
                    ),
                )
            )
        for equipment_id, terms in demo_equipment(datetime.now(UTC).date()):
            if not await _first_time(uow, f"equipment:{equipment_id}") or seeded_unrecorded:
                continue
            await uow.publish(
                UpsertEquipment(
                    equipment_id=equipment_id, organization_id=organization_id, terms=terms
                )
            )
        month = service.settings.demo_month
        if month and await _first_time(uow, "history:month") and not seeded_unrecorded:
            await _send_month(uow)
        sent = len(uow.end.outbox)
    log.info("demo_data_seeded", messages_sent=sent)
