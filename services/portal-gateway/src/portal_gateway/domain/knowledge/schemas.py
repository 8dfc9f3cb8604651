"""Articles and feedback as the API takes them."""

from __future__ import annotations

from uuid import UUID

from desk_contracts.enums import Locale, Visibility
from desk_contracts.messages import ARTICLE_STATUSES
from desk_contracts.messages.common import Title
from desk_contracts.messages.knowledge import MAX_CATEGORIES, MAX_KEYWORDS, Body, Keyword
from pydantic import BaseModel, ConfigDict, Field


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: Locale
    title: Title
    body: Body = ""


class NewArticle(BaseModel):
    """A new article: one text per language (ru, en or both)."""

    model_config = ConfigDict(extra="forbid")

    texts: list[TextIn] = Field(min_length=1, max_length=2)
    visibility: Visibility = Visibility.PUBLIC
    status: str = Field(default="draft", pattern="^(" + "|".join(ARTICLE_STATUSES) + ")$")
    category_ids: list[UUID] = Field(default_factory=list, max_length=MAX_CATEGORIES)
    keywords: list[Keyword] = Field(default_factory=list, max_length=MAX_KEYWORDS)


class ArticlePatch(BaseModel):
    """What to change; a text given for a language replaces that language's text."""

    model_config = ConfigDict(extra="forbid")

    texts: list[TextIn] | None = Field(default=None, max_length=2)
    visibility: Visibility | None = None
    status: str | None = Field(default=None, pattern="^(" + "|".join(ARTICLE_STATUSES) + ")$")
    category_ids: list[UUID] | None = Field(default=None, max_length=MAX_CATEGORIES)
    keywords: list[Keyword] | None = Field(default=None, max_length=MAX_KEYWORDS)
    expected_version: int | None = Field(default=None, ge=1)


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    helped: bool
    # The client leaves without filing: the suggestion solved the problem (a deflection;
    # only before filing, and only with `helped`).
    solved: bool = False


class PreviewIn(BaseModel):
    """The texts an editor is writing, to see them rendered."""

    model_config = ConfigDict(extra="forbid")

    texts: list[TextIn] = Field(min_length=1, max_length=2)
