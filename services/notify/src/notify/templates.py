"""Message texts from Jinja2 templates, chosen by event kind and the recipient's locale."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desk_contracts.enums import Locale
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str


class Templates:
    def __init__(self, folder: Path = TEMPLATES) -> None:
        self._env = Environment(
            loader=FileSystemLoader(folder),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=False,
        )

    def render(self, kind: str, locale: Locale, values: dict[str, Any]) -> RenderedMessage:
        prefix = f"{locale.value}.{kind}"
        subject = self._env.get_template(f"{prefix}.subject.txt").render(values)
        return RenderedMessage(
            # A header must be one line, whatever the title holds.
            subject=" ".join(subject.split()),
            text=self._env.get_template(f"{prefix}.txt").render(values),
            html=self._env.get_template(f"{prefix}.html").render(values),
        )
