"""Knowledge base use cases: articles, suggestions and feedback, the report. Knowledge
owns all of it; the gateway asks with the principal and the reader's language."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from desk_contracts.enums import Locale, Role, Visibility
from desk_contracts.messages import (
    ArticleChanges,
    ArticlePage,
    ArticlePreview,
    ArticleSpec,
    ArticleText,
    ArticleVersions,
    ArticleView,
    CreateArticle,
    GetArticle,
    KnowledgeReport,
    KnowledgeReportView,
    ListArticles,
    ListArticleVersions,
    OpenArticle,
    PreviewArticle,
    SuggestArticles,
    SuggestionFeedback,
    Suggestions,
    SuggestionView,
    UpdateArticle,
)
from desk_runtime.rpc import RemoteFailure, RpcClient
from pydantic import ValidationError

from ...accounts import User
from ...deps import field_error
from .schemas import ArticlePatch, NewArticle

# Who edits articles and reads the report.
EDITORS = frozenset({Role.ADMIN, Role.HEAD})
PUBLISHED = "published"


def _texts(items: list[object]) -> tuple[ArticleText, ...]:
    return tuple(ArticleText.model_validate(item, from_attributes=True) for item in items)


def _spec(data: NewArticle) -> ArticleSpec:
    try:
        return ArticleSpec(
            texts=_texts(list(data.texts)),
            visibility=data.visibility,
            status=data.status,
            category_ids=tuple(data.category_ids),
            keywords=tuple(data.keywords),
        )
    except ValidationError as error:  # one text per language
        raise field_error("texts", "one text per language") from error


def _changes(data: ArticlePatch) -> ArticleChanges:
    try:
        return ArticleChanges(
            texts=_texts(list(data.texts)) if data.texts is not None else None,
            visibility=data.visibility,
            status=data.status,
            category_ids=tuple(data.category_ids) if data.category_ids is not None else None,
            keywords=tuple(data.keywords) if data.keywords is not None else None,
            expected_version=data.expected_version,
        )
    except ValidationError as error:
        raise field_error("texts", "one text per language") from error


async def create_article(client: RpcClient, user: User, data: NewArticle) -> ArticleView:
    return await client.ask_as(
        CreateArticle(principal=user.principal, spec=_spec(data)), ArticleView
    )


async def update_article(
    client: RpcClient, user: User, article_id: UUID, data: ArticlePatch
) -> ArticleView:
    return await client.ask_as(
        UpdateArticle(principal=user.principal, article_id=article_id, changes=_changes(data)),
        ArticleView,
    )


async def article(client: RpcClient, user: User, article_id: UUID) -> ArticleView:
    return await client.ask_as(
        GetArticle(principal=user.principal, article_id=article_id), ArticleView
    )


async def opened_article(
    client: RpcClient, user: User, article_id: UUID, suggestion_id: UUID
) -> ArticleView:
    """The article opened from a suggestion shown to the reader (counted once)."""
    return await client.ask_as(
        OpenArticle(principal=user.principal, article_id=article_id, suggestion_id=suggestion_id),
        ArticleView,
    )


# Why a reply cannot link an article (the words the pages translate).
NO_SUCH_ARTICLE = "no such article"
NOT_LINKABLE = "only a published public article can be linked to a reply"


async def linkable_version(client: RpcClient, user: User, article_id: UUID) -> int:
    """The version of the article a public reply links: it must be published and public
    (the client reads it); anything else is a 422 naming `article_id`."""
    try:
        found = await article(client, user, article_id)
    except RemoteFailure as error:
        if error.failure.status == 404:
            raise field_error("article_id", NO_SUCH_ARTICLE) from error
        raise
    if found.visibility is not Visibility.PUBLIC or found.status != PUBLISHED:
        raise field_error("article_id", NOT_LINKABLE)
    return found.version


async def preview(client: RpcClient, user: User, texts: list[object]) -> ArticlePreview:
    """The texts rendered by the article's own renderer; nothing is stored."""
    try:
        asked = PreviewArticle(principal=user.principal, texts=_texts(texts))
    except ValidationError as error:
        raise field_error("texts", "one text per language") from error
    return await client.ask_as(asked, ArticlePreview)


async def versions(client: RpcClient, user: User, article_id: UUID) -> ArticleVersions:
    return await client.ask_as(
        ListArticleVersions(principal=user.principal, article_id=article_id), ArticleVersions
    )


async def articles(
    client: RpcClient,
    user: User,
    locale: Locale,
    *,
    q: str | None = None,
    category_id: UUID | None = None,
    status: str | None = None,
    visibility: Visibility | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ArticlePage:
    return await client.ask_as(
        ListArticles(
            principal=user.principal,
            locale=locale,
            q=q,
            category_id=category_id,
            status=status,
            visibility=visibility,
            limit=limit,
            offset=offset,
        ),
        ArticlePage,
    )


async def suggestions(
    client: RpcClient,
    user: User,
    locale: Locale,
    *,
    category_id: UUID | None = None,
    q: str | None = None,
    incident_id: UUID | None = None,
    limit: int = 5,
) -> Suggestions:
    return await client.ask_as(
        SuggestArticles(
            principal=user.principal,
            locale=locale,
            category_id=category_id,
            q=q,
            incident_id=incident_id,
            limit=limit,
        ),
        Suggestions,
    )


async def feedback(
    client: RpcClient,
    user: User,
    suggestion_id: UUID,
    helped: bool,
    locale: Locale,
    *,
    solved: bool = False,
) -> SuggestionView:
    """Whether a suggestion helped; `solved`: the client leaves without filing (a
    deflection)."""
    try:
        asked = SuggestionFeedback(
            principal=user.principal,
            suggestion_id=suggestion_id,
            helped=helped,
            solved=solved,
            locale=locale,
        )
    except ValidationError as error:
        raise field_error("solved", "an answer that did not help solves nothing") from error
    return await client.ask_as(asked, SuggestionView)


async def report(
    client: RpcClient,
    user: User,
    locale: Locale,
    since: datetime | None,
    until: datetime | None,
    gap_requests: int,
) -> KnowledgeReportView:
    try:
        asked = KnowledgeReport(
            principal=user.principal,
            locale=locale,
            since=since,
            until=until,
            gap_requests=gap_requests,
        )
    except ValidationError as error:  # a period beyond the years the desk computes
        problem = error.errors(include_url=False)[0]
        raise field_error(str(problem["loc"][0]), problem["msg"]) from error
    return await client.ask_as(asked, KnowledgeReportView)
