"""An organization's mail domains and the contacts its unknown senders become, on the
gateway's real database: domains are kept normalised and one organization's each (a
refusal names the field, in Russian or English, and writes nothing); mails of one new
address racing create one contact; an address that is staff's or a deactivated
account's creates none."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import UUID

import pytest
import pytest_asyncio
from desk_contracts.enums import Locale, Role, Scope
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import started
from litestar.exceptions import HTTPException, ValidationException
from portal_gateway.accounts import verify_password
from portal_gateway.app import build_service
from portal_gateway.domain.accounts.mail_contacts import contact_for_mail, organization_of_domain
from portal_gateway.domain.accounts.schemas import NewOrganization, OrganizationChange
from portal_gateway.domain.accounts.service import (
    change_organization,
    insert_organization,
    organization_by_id,
)
from portal_gateway.web.i18n import translator

pytestmark = pytest.mark.integration

EN, RU = translator("en"), translator("ru")


@pytest_asyncio.fixture
async def gateway(desk_settings: DeskSettings) -> AsyncIterator[Service]:
    async with started(build_service(desk_settings)) as service:
        yield service


async def organization(service: Service, name: str, *domains: str) -> UUID:
    saved = await insert_organization(
        service, NewOrganization(name=name, mail_domains=list(domains), locale=Locale.RU), EN
    )
    return saved.id


async def test_domains_are_kept_normalised_and_replaced_as_a_whole(gateway: Service) -> None:
    initech = await organization(gateway, "Initech", " Initech.Example ", "@mail.initech.example")
    saved = await organization_by_id(gateway.pool, initech)
    assert saved.mail_domains == ["initech.example", "mail.initech.example"]
    assert saved.locale is Locale.RU
    changed = await change_organization(
        gateway, initech, OrganizationChange(mail_domains=["пример.рф", "initech.example"]), EN
    )
    assert changed.mail_domains == ["initech.example", "xn--e1afmkfd.xn--p1ai"]
    found = await organization_of_domain(gateway.pool, "xn--e1afmkfd.xn--p1ai")
    assert found is not None
    assert (found["id"], found["locale"]) == (initech, "ru")
    assert await organization_of_domain(gateway.pool, "mail.initech.example") is None
    # A change that leaves the domains alone keeps them.
    renamed = await change_organization(gateway, initech, OrganizationChange(name="Initech AG"), EN)
    assert renamed.mail_domains == changed.mail_domains


async def test_a_domain_of_another_organization_is_refused_naming_the_field(
    gateway: Service,
) -> None:
    await organization(gateway, "Initech", "initech.example")
    with pytest.raises(HTTPException) as taken:
        await insert_organization(
            gateway,
            NewOrganization(name="Globex", mail_domains=["globex.example", "INITECH.example"]),
            RU,
        )
    assert taken.value.status_code == 409
    assert taken.value.extra == [
        {
            "key": "mail_domains.1",
            "message": "initech.example уже указан как почтовый домен организации «Initech»",
        }
    ]
    # Nothing of the refused organization was written.
    assert await gateway.pool.fetchval("SELECT count(*) FROM organizations") == 1
    assert await organization_of_domain(gateway.pool, "globex.example") is None

    globex = await organization(gateway, "Globex", "globex.example")
    with pytest.raises(HTTPException) as again:
        await change_organization(
            gateway, globex, OrganizationChange(mail_domains=["initech.example"]), EN
        )
    assert again.value.extra == [
        {"key": "mail_domains.0", "message": "initech.example is a mail domain of Initech already"}
    ]
    assert (await organization_by_id(gateway.pool, globex)).mail_domains == ["globex.example"]


async def test_what_is_no_domain_is_refused_in_the_readers_language(gateway: Service) -> None:
    with pytest.raises(ValidationException) as refused:
        await insert_organization(
            gateway,
            NewOrganization(name="Initech", mail_domains=["ok.example", "not a domain"]),
            RU,
        )
    assert refused.value.extra == [
        {"key": "mail_domains.1", "message": "это не доменное имя: not a domain"}
    ]
    assert await gateway.pool.fetchval("SELECT count(*) FROM organizations") == 0


async def test_mails_of_one_new_address_racing_create_one_contact(gateway: Service) -> None:
    initech = await organization(gateway, "Initech", "initech.example")
    made = await asyncio.gather(
        *(
            contact_for_mail(
                gateway,
                organization_id=initech,
                email="pat@initech.example",
                display_name="Pat Smith",
                locale=Locale.RU,
            )
            for _ in range(6)
        )
    )
    assert None not in made
    assert len({contact.id for contact in made if contact is not None}) == 1
    [row] = await gateway.pool.fetch("SELECT * FROM users WHERE email = 'pat@initech.example'")
    assert (row["username"], row["display_name"], row["locale"]) == (
        "pat@initech.example",
        "Pat Smith",
        "ru",
    )
    assert (row["role"], row["organization_id"], row["scope"]) == (
        Role.CLIENT.value,
        initech,
        Scope.OWN.value,
    )
    assert not verify_password(row["password_hash"], "")  # no password signs in


async def test_an_address_of_staff_or_of_a_deactivated_account_makes_no_contact(
    gateway: Service,
) -> None:
    initech = await organization(gateway, "Initech", "initech.example")
    await gateway.pool.execute(
        "INSERT INTO users (id, username, password_hash, display_name, email, role, active) "
        "VALUES (gen_random_uuid(), 'rita', '!', 'Rita', 'Rita@initech.example', 'agent', true),"
        " (gen_random_uuid(), 'old', '!', 'Old', 'old@initech.example', 'agent', false)"
    )
    for address in ("rita@initech.example", "old@initech.example"):
        contact = await contact_for_mail(
            gateway,
            organization_id=initech,
            email=address,
            display_name="x",
            locale=Locale.EN,
        )
        assert contact is None
    assert await gateway.pool.fetchval("SELECT count(*) FROM users WHERE role = 'client'") == 0
