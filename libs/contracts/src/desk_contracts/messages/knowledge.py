"""The knowledge base: articles bound to request categories, the suggestions shown while
a request is filed or worked, the feedback on each, and the report. Knowledge owns them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AfterValidator, Field, model_validator

from ..enums import Locale, Role, Visibility
from ..envelope import Command, Message, Query, Request
from .common import Instant, Offset, Principal, Title

ARTICLE_STATUSES = ("draft", "published", "archived")
ArticleStatus = Annotated[str, Field(pattern="^(" + "|".join(ARTICLE_STATUSES) + ")$")]

# An article's Markdown body, a search text, a keyword: bounded so a suggestion stays fast.
MAX_BODY = 100_000
MAX_SEARCH = 500
MAX_KEYWORDS = 30
MAX_CATEGORIES = 20
MAX_SUGGESTIONS = 10


def _keyword(value: str) -> str:
    value = " ".join(value.split()).lower()
    if not value:
        raise ValueError("must not be blank")
    return value


Keyword = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_keyword)]
Body = Annotated[str, Field(max_length=MAX_BODY)]


class ArticleText(Message):
    """One language of an article: its title and its Markdown body."""

    locale: Locale
    title: Title
    body: Body = ""


def _one_text_per_language(texts: tuple[ArticleText, ...]) -> tuple[ArticleText, ...]:
    locales = [text.locale for text in texts]
    if len(set(locales)) != len(locales):
        raise ValueError("one text per language")
    return texts


Texts = Annotated[
    tuple[ArticleText, ...],
    Field(min_length=1, max_length=len(Locale)),
    AfterValidator(_one_text_per_language),
]


class ArticleSpec(Message):
    """What an editor writes: the texts (ru and/or en), who may read it, where it is bound."""

    texts: Texts
    visibility: Visibility = Visibility.PUBLIC
    status: ArticleStatus = "draft"
    category_ids: tuple[UUID, ...] = Field(default=(), max_length=MAX_CATEGORIES)
    keywords: tuple[Keyword, ...] = Field(default=(), max_length=MAX_KEYWORDS)


class ArticleChanges(Message):
    """A partial edit: what is given replaces the current value; a text given for a
    language replaces that language's text (the others stay)."""

    texts: tuple[ArticleText, ...] | None = Field(default=None, max_length=len(Locale))
    visibility: Visibility | None = None
    status: ArticleStatus | None = None
    category_ids: tuple[UUID, ...] | None = Field(default=None, max_length=MAX_CATEGORIES)
    keywords: tuple[Keyword, ...] | None = Field(default=None, max_length=MAX_KEYWORDS)
    # The version the editor saw: an edit made on an older one is refused (409).
    expected_version: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _texts_once(self) -> ArticleChanges:
        if self.texts is not None:
            _one_text_per_language(self.texts)
        return self


class ArticleTextView(Message):
    locale: Locale
    title: str
    body: str
    # The body rendered to HTML with raw HTML and unsafe links taken out.
    body_html: str


class ArticleView(Message):
    article_id: UUID
    version: int
    visibility: Visibility
    status: str
    category_ids: tuple[UUID, ...]
    keywords: tuple[str, ...]
    texts: tuple[ArticleTextView, ...]
    author_id: UUID | None
    created_at: datetime
    updated_at: datetime


class ArticlePreview(Message):
    texts: tuple[ArticleTextView, ...]


class ArticleListItem(Message):
    article_id: UUID
    version: int
    visibility: Visibility
    status: str
    category_ids: tuple[UUID, ...]
    # The title in the reader's language, else in the other one.
    locale: Locale
    title: str
    locales: tuple[Locale, ...]
    updated_at: datetime


class ArticlePage(Message):
    total: int
    items: tuple[ArticleListItem, ...]


class ArticleVersionView(Message):
    version: int
    author_id: UUID | None
    created_at: datetime
    visibility: Visibility
    status: str
    category_ids: tuple[UUID, ...]
    keywords: tuple[str, ...]
    texts: tuple[ArticleText, ...]


class ArticleVersions(Message):
    article_id: UUID
    items: tuple[ArticleVersionView, ...]


class CreateArticle(Request[ArticleView]):
    """An editor (admin, head) writes a new article: version 1."""

    ROUTING_KEY: ClassVar[str] = "knowledge.create_article"

    principal: Principal
    spec: ArticleSpec


class UpdateArticle(Request[ArticleView]):
    """An editor changes an article: a new version, the old ones kept."""

    ROUTING_KEY: ClassVar[str] = "knowledge.update_article"

    principal: Principal
    article_id: UUID
    changes: ArticleChanges


class GetArticle(Query[ArticleView]):
    """One article as the principal may read it (clients: public and published only)."""

    ROUTING_KEY: ClassVar[str] = "knowledge.get_article"

    principal: Principal
    article_id: UUID


class OpenArticle(Request[ArticleView]):
    """A reader opens an article from a suggestion shown to them: the article as
    `GetArticle` gives it, and the suggestion recorded as opened (once, however often it
    is opened again)."""

    ROUTING_KEY: ClassVar[str] = "knowledge.open_article"

    principal: Principal
    article_id: UUID
    suggestion_id: UUID


class PreviewArticle(Query[ArticlePreview]):
    """The texts an editor is writing, rendered as the article would show them (the same
    safe renderer); nothing is stored."""

    ROUTING_KEY: ClassVar[str] = "knowledge.preview_article"

    principal: Principal
    texts: Texts


class ListArticles(Query[ArticlePage]):
    """Articles the principal may read, searched and filtered, most recently changed
    first (most relevant first when `q` is given)."""

    ROUTING_KEY: ClassVar[str] = "knowledge.list_articles"

    principal: Principal
    locale: Locale = Locale.EN
    q: str | None = Field(default=None, max_length=MAX_SEARCH)
    category_id: UUID | None = None
    status: ArticleStatus | None = None
    visibility: Visibility | None = None
    limit: int = Field(default=50, ge=1, le=200)
    offset: Offset = 0


class ListArticleVersions(Query[ArticleVersions]):
    """Every version of an article, newest first (editors)."""

    ROUTING_KEY: ClassVar[str] = "knowledge.list_article_versions"

    principal: Principal
    article_id: UUID


class SeededShowing(Message):
    """One suggestion of the demo's history: shown `days_ago` days ago to a user, for a
    draft in a category, and what they answered."""

    user_id: UUID
    role: Role = Role.CLIENT
    locale: Locale = Locale.EN
    category_id: UUID | None = None
    days_ago: int = Field(ge=0, le=365)
    helped: bool | None = None
    opened: bool = False
    # The client said it solved their problem and left the form without filing.
    solved: bool = False


class SeedArticle(Command):
    """The demo data's article, written once under its fixed id (nothing when it exists),
    with a history of suggestions so the report has something to show."""

    ROUTING_KEY: ClassVar[str] = "knowledge.article.seed"

    article_id: UUID
    spec: ArticleSpec
    author_id: UUID | None = None
    history: tuple[SeededShowing, ...] = Field(default=(), max_length=500)


# --- suggestions and feedback -----------------------------------------------------------


class SuggestionView(Message):
    """One article suggested, recorded as shown: its id is what feedback names."""

    suggestion_id: UUID
    article_id: UUID
    version: int
    rank: int
    locale: Locale
    title: str
    # The start of the body as plain text, and the rendered body.
    excerpt: str
    body_html: str
    visibility: Visibility
    # Bound to the asked category or one of its ancestors (else found by the text).
    bound: bool
    helped: bool | None = None
    solved: bool = False


class Suggestions(Message):
    items: tuple[SuggestionView, ...]


class SuggestArticles(Request[Suggestions]):
    """The articles that fit a request being filed (or worked): bound to its category
    or an ancestor first, then by text relevance and measured helpfulness. Each returned
    suggestion is recorded as shown."""

    ROUTING_KEY: ClassVar[str] = "knowledge.suggest"

    principal: Principal
    locale: Locale = Locale.EN
    category_id: UUID | None = None
    q: str | None = Field(default=None, max_length=MAX_SEARCH)
    incident_id: UUID | None = None
    limit: int = Field(default=5, ge=1, le=MAX_SUGGESTIONS)


class SuggestionFeedback(Request[SuggestionView]):
    """The person a suggestion was shown to says whether it helped (once more replaces
    the answer)."""

    ROUTING_KEY: ClassVar[str] = "knowledge.suggestion_feedback"

    principal: Principal
    suggestion_id: UUID
    helped: bool
    # "It solved my problem; I will not file": a deflection, recorded by the page the
    # client leaves (only for a client's suggestion shown before filing; implies helped).
    solved: bool = False
    locale: Locale = Locale.EN

    @model_validator(mode="after")
    def _solved_helped(self) -> SuggestionFeedback:
        if self.solved and not self.helped:
            raise ValueError("solved: an answer that did not help solves nothing")
        return self


# --- the report -------------------------------------------------------------------------


class ArticleReportRow(Message):
    article_id: UUID
    title: str
    shown: int
    # Suggestions of it that their reader opened (each once).
    opened: int
    rated: int
    helped: int
    # helped / rated, None before anyone answered.
    helped_share: float | None
    deflections: int
    # Incidents resolved by a public staff reply that linked it (knowledge's rule:
    # `domain/resolved_with.py`).
    resolved_with: int


class CategoryReportRow(Message):
    category_id: UUID
    name: str
    path: tuple[str, ...]
    requests: int
    resolved: int
    first_contact: int
    # first_contact / resolved, None before anything was resolved.
    fcr_rate: float | None
    deflections: int
    # deflections / (deflections + requests), None with neither.
    deflected_share: float | None
    helpful_articles: int
    # Incidents resolved by a public staff reply that linked an article.
    resolved_with_article: int = 0


class KnowledgeReportView(Message):
    since: datetime
    until: datetime
    articles: tuple[ArticleReportRow, ...]
    categories: tuple[CategoryReportRow, ...]
    # Categories with many requests and no article that helped: what to write next.
    gaps: tuple[CategoryReportRow, ...]


class KnowledgeReport(Query[KnowledgeReportView]):
    """Per article and per category over [since, until) (default: the last 30 days)."""

    ROUTING_KEY: ClassVar[str] = "knowledge.report"

    principal: Principal
    locale: Locale = Locale.EN
    # A time without a zone is read as UTC.
    since: Instant | None = None
    until: Instant | None = None
    # A category with at least this many requests and no helpful article is a gap.
    gap_requests: int = Field(default=5, ge=1, le=1_000_000)
