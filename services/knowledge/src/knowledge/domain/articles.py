"""Who writes and reads articles, how an article's status may change, and what an edit
makes of an article (a new version only when something changed)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, replace
from typing import TypeVar
from uuid import UUID

from desk_contracts.enums import Locale, Role, Visibility
from desk_contracts.messages import ArticleChanges, ArticleSpec, ArticleText

T = TypeVar("T", bound=Hashable)

# Who writes the knowledge base: admins and the heads of the support groups.
EDITORS = frozenset({Role.ADMIN, Role.HEAD})

DRAFT, PUBLISHED, ARCHIVED = "draft", "published", "archived"

# Where each status may go: a draft is published (or dropped into the archive), a
# published article is archived, an archived one is published again or reworked as a
# draft. Published never goes back to draft: readers would lose it without a trace.
TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({PUBLISHED, ARCHIVED}),
    PUBLISHED: frozenset({ARCHIVED}),
    ARCHIVED: frozenset({PUBLISHED, DRAFT}),
}


def can_edit(role: Role) -> bool:
    return role in EDITORS


def can_read(role: Role, visibility: Visibility, status: str) -> bool:
    """Editors read everything; other staff read what is published; clients read what
    is published and public."""
    if role in EDITORS:
        return True
    if status != PUBLISHED:
        return False
    return role.is_staff or visibility is Visibility.PUBLIC


def may_move(current: str, new: str) -> bool:
    return new == current or new in TRANSITIONS[current]


@dataclass(frozen=True)
class ArticleState:
    """An article's content as one version holds it."""

    texts: tuple[ArticleText, ...]
    visibility: Visibility
    status: str
    category_ids: tuple[UUID, ...]
    keywords: tuple[str, ...]

    @classmethod
    def of(cls, spec: ArticleSpec) -> ArticleState:
        return cls(
            texts=ordered_texts(spec.texts),
            visibility=spec.visibility,
            status=spec.status,
            category_ids=unique(spec.category_ids),
            keywords=unique(spec.keywords),
        )


def unique(items: Iterable[T]) -> tuple[T, ...]:
    """The items once each, in their first order."""
    return tuple(dict.fromkeys(items))


def ordered_texts(texts: tuple[ArticleText, ...]) -> tuple[ArticleText, ...]:
    order = list(Locale)
    return tuple(sorted(texts, key=lambda text: order.index(text.locale)))


def merge_texts(
    current: tuple[ArticleText, ...], given: tuple[ArticleText, ...]
) -> tuple[ArticleText, ...]:
    """A text given for a language replaces that language's; the others stay."""
    by_locale = {text.locale: text for text in current}
    by_locale.update({text.locale: text for text in given})
    return ordered_texts(tuple(by_locale.values()))


def apply(current: ArticleState, changes: ArticleChanges) -> ArticleState:
    """The article after an edit (equal to `current` when the edit changes nothing)."""
    state = current
    if changes.texts is not None:
        state = replace(state, texts=merge_texts(state.texts, changes.texts))
    if changes.visibility is not None:
        state = replace(state, visibility=changes.visibility)
    if changes.status is not None:
        state = replace(state, status=changes.status)
    if changes.category_ids is not None:
        state = replace(state, category_ids=unique(changes.category_ids))
    if changes.keywords is not None:
        state = replace(state, keywords=unique(changes.keywords))
    return state


def text_for(texts: tuple[ArticleText, ...], locale: Locale) -> ArticleText:
    """The text in `locale`, else the first there is."""
    for text in texts:
        if text.locale is locale:
            return text
    return texts[0]
