"""Message texts from Jinja2 templates, chosen by event kind and the recipient's locale.

Files are named `<locale>.<kind>.<part>`: `subject.txt`, `txt` (plain e-mail body),
`html` (HTML e-mail body, autoescaped) and `sms.txt`. Operators override any of them
without a code change by putting a file of the same name in the folder named by
DESK_TEMPLATE_DIR: it is looked up there first, and a changed file is picked up at the
next message (Jinja2 checks the file's modification time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from desk_contracts.enums import Locale
from desk_runtime.local_time import local_time, zone_for
from jinja2 import (
    BaseLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    pass_context,
    select_autoescape,
)
from jinja2.loaders import split_template_path
from jinja2.runtime import Context

from . import sms_segments

TEMPLATES = Path(__file__).parent / "templates"

# Long texts are cut to this many concatenated segments (about 450 Latin characters).
SMS_MAX_SEGMENTS = 3

PRIORITY_LABELS = {
    Locale.EN: {"critical": "critical", "high": "high", "normal": "normal", "low": "low"},
    Locale.RU: {"critical": "критический", "high": "высокий", "normal": "обычный", "low": "низкий"},
}

# A package's support channels as a mail names them (SPEC §12).
CHANNEL_LABELS = {
    Locale.EN: {
        "phone": "phone",
        "email": "e-mail",
        "portal": "portal",
        "api": "API",
        "onsite": "on-site visit",
        "chat": "chat",
    },
    Locale.RU: {
        "phone": "телефон",
        "email": "электронная почта",
        "portal": "портал",
        "api": "API",
        "onsite": "выезд специалиста",
        "chat": "чат",
    },
}


@pass_context
def when(context: Context, value: datetime | None) -> str:
    """A time as its reader reads it: in the message's `time_zone` (the recipient's),
    with the zone's abbreviation and offset, the way the portal's pages show it."""
    return local_time(value, zone_for(context.get("time_zone")))


def with_reference(subject: str, number: object) -> str:
    """The subject with the incident's `[INC-000123]` in it: a reply that keeps the
    subject comes back to its incident, even under an operator's template without it."""
    if not number:
        return subject
    reference = f"[{number}]"
    return subject if reference in subject else f"{reference} {subject}".strip()


class OverridableLoader(BaseLoader):
    """The operator's folder first, then the packaged templates. A packaged template
    stays cached only while no override of the same name exists, so a file dropped in
    the folder takes effect at the next message, and removing it falls back again."""

    def __init__(self, override_dir: Path | None, packaged: Path) -> None:
        self._override_dir = override_dir
        self._override = FileSystemLoader(override_dir) if override_dir else None
        self._packaged = FileSystemLoader(packaged)

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if self._override is not None:
            try:
                return self._override.get_source(environment, template)
            except TemplateNotFound:
                pass
        source, filename, uptodate = self._packaged.get_source(environment, template)
        if self._override_dir is None:
            return source, filename, uptodate
        candidate = self._override_dir.joinpath(*split_template_path(template))

        def still_current() -> bool:
            return (uptodate is None or uptodate()) and not candidate.exists()

        return source, filename, still_current


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class Templates:
    def __init__(self, override_dir: Path | None = None, packaged: Path = TEMPLATES) -> None:
        self._env = Environment(
            loader=OverridableLoader(override_dir, packaged),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=True,
        )
        self._env.filters["when"] = when

    def _render(self, name: str, values: dict[str, Any]) -> str:
        return self._env.get_template(name).render(values)

    @staticmethod
    def _values(locale: Locale, values: dict[str, Any]) -> dict[str, Any]:
        priority = values.get("priority")
        label = PRIORITY_LABELS[locale].get(str(priority), str(priority)) if priority else ""
        channel = str(values.get("channel") or "")
        return {
            **values,
            "locale": locale.value,
            "priority": label,
            "priority_code": priority,
            "channel_name": CHANNEL_LABELS[locale].get(channel, channel),
        }

    def email(self, kind: str, locale: Locale, values: dict[str, Any]) -> RenderedEmail:
        values = self._values(locale, values)
        prefix = f"{locale.value}.{kind}"
        subject = self._render(f"{prefix}.subject.txt", values)
        return RenderedEmail(
            # A header must be one line, whatever the title holds.
            subject=with_reference(" ".join(subject.split()), values.get("number")),
            text=self._render(f"{prefix}.txt", values),
            html=self._render(f"{prefix}.html", values),
        )

    def sms(self, kind: str, locale: Locale, values: dict[str, Any]) -> str:
        rendered = self._render(f"{locale.value}.{kind}.sms.txt", self._values(locale, values))
        # One line: a text message has no room for the layout of a template file.
        text = " ".join(rendered.split())
        return sms_segments.fit(text, SMS_MAX_SEGMENTS)
