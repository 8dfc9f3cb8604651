"""The self-service and staff controls render in both languages: the forgotten
password pages, the header's presence control, an admin's skills and capacity form,
and a contract's ladder and channel editors (with their messages on their fields)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest
from desk_contracts.enums import Presence, Priority, QuotaPolicy, Role
from desk_contracts.messages import ESCALATION_AUDIENCES, AgentView, Backlog
from portal_gateway.domain.packages.service import CHANNEL_NAMES
from portal_gateway.web.admin_forms import contract_values, format_duration, reminder_text
from portal_gateway.web.contract_terms import channel_rows, ladder_rows
from portal_gateway.web.i18n import translator
from portal_gateway.web.render import _ENV, ASSETS
from portal_gateway.web.views import query_string

from .test_contract_terms import _contract

NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


def page(template: str, lang: str, role: Role | None, **context: Any) -> str:
    user = (
        SimpleNamespace(
            id=uuid4(),
            username="anna",
            role=role,
            display_name="Anna",
            locale=SimpleNamespace(value=lang),
        )
        if role
        else None
    )
    values: dict[str, Any] = {
        "t": translator(lang),
        "lang": lang,
        "user": user,
        "csrf": "token",
        "assets": ASSETS,
        "path": "/x",
        "full_path": "/x",
        "flash": "",
        "now": NOW,
        "when": lambda value: value.strftime("%Y-%m-%d %H:%M UTC") if value else "—",
        "qs": query_string,
        "presence": None,
        "values": {},
        "errors": {},
        **context,
    }
    return _ENV.get_template(template).render(**values)


@pytest.mark.parametrize(
    ("lang", "asked", "refused"),
    [
        ("en", "a link to choose a new password is on its way", "already been used"),
        ("ru", "ссылка для нового пароля", "уже использована"),
    ],
)
def test_the_forgotten_password_pages(lang: str, asked: str, refused: str) -> None:
    common = {"door_csrf": "door", "minutes": 60}
    ask = page("password_reset.html", lang, None, step="ask", **common)
    assert 'name="login"' in ask
    assert 'value="door"' in ask
    assert asked in page("password_reset.html", lang, None, step="asked", **common)
    choose = page(
        "password_reset.html",
        lang,
        None,
        step="choose",
        token="abc",
        errors={"repeat_password": translator(lang)("The two new passwords differ.")},
        **common,
    )
    assert 'action="/password-reset/abc"' in choose
    assert 'data-testid="error-repeat_password"' in choose
    problem = "This link has already been used. Ask for a new one if you need it."
    assert refused in page(
        "password_reset.html", lang, None, step="refused", problem=problem, **common
    )


@pytest.mark.parametrize(("lang", "away"), [("en", "away"), ("ru", "отошёл")])
def test_the_header_offers_presence_only_with_a_profile(lang: str, away: str) -> None:
    without = page("password_reset.html", lang, Role.AGENT, step="asked", door_csrf="", minutes=60)
    assert "presence-form" not in without
    shown = page(
        "password_reset.html", lang, Role.AGENT, step="asked", door_csrf="", minutes=60,
        presence="away",
    )  # fmt: skip
    assert 'action="/presence"' in shown
    assert f'<option value="away" selected>{away}</option>' in shown


def _agents(lang: str, role: Role, **context: Any) -> str:
    view = AgentView(
        agent_id=uuid4(),
        skills=(("fault",), ()),
        capacity=3,
        presence=Presence.ONLINE,
        load=1,
        updated_at=NOW,
    )
    row = {"view": view, "name": "Anna", "share": 1 / 3, "skill_keys": {"fault", ""}}
    return page(
        "agents.html", lang, role, agents=[row], backlog=Backlog(items=(), total=0),
        labels={("fault",): "Fault"}, skill_options=[("fault", "Fault")],
        editing=view.agent_id, **context,
    )  # fmt: skip


def test_only_admins_get_the_skills_and_capacity_form() -> None:
    assert "agent-edit" not in _agents("en", Role.HEAD)
    html = _agents("ru", Role.ADMIN, errors={"capacity": "Ёмкость: целое число от 0 до 1000."})
    assert '<option value="fault" selected>Fault</option>' in html
    assert 'name="capacity" min="0" max="1000" value="3"' in html
    assert "Ёмкость: целое число от 0 до 1000." in html


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Change the escalation ladder", "Channels and quotas", "accept (over quota)")),
        ("ru", ("Изменить лестницу эскалации", "Каналы и лимиты", "отклонить")),
    ],
)
def test_the_contract_page_edits_its_ladder_and_channels(lang: str, words: tuple[str, ...]) -> None:
    contract = _contract()
    html = page(
        "admin_contract.html", lang, Role.ADMIN, contract=contract, latest=2,
        values=contract_values(contract), errors={"e0_after": "!after!", "c_email_quota": "!q!"},
        form_in_error="ladder", labels={}, calendar_options=[], priorities=list(Priority),
        column_labels={"response": "First response", "resolution": "Resolution",
                       "reminder": "Reminder"},
        duration=format_duration, reminder=reminder_text, ladder=ladder_rows(contract),
        channel_values=channel_rows(contract), audiences=ESCALATION_AUDIENCES,
        channel_names=CHANNEL_NAMES, policies=list(QuotaPolicy),
    )  # fmt: skip
    for word in words:
        assert word in html
    assert 'action="/admin/contracts/' in html
    assert 'name="e0_after" value="1"' in html
    assert 'name="c_email_quota" value="15"' in html
    assert "!after!" in html
    assert "!q!" in html
