"""The knowledge base over the JSON API: articles (`/api/v1/kb/articles`; editors write),
suggestions and feedback (`/api/v1/kb/suggestions`), and the report
(`/api/v1/reports/kb`; heads and admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from desk_contracts.enums import Visibility
from desk_contracts.messages import (
    ARTICLE_STATUSES,
    MAX_SUGGESTIONS,
    ArticlePage,
    ArticlePreview,
    ArticleVersions,
    ArticleView,
    KnowledgeReportView,
    Suggestions,
    SuggestionView,
)
from desk_contracts.messages.knowledge import MAX_SEARCH
from desk_runtime.rpc import RpcClient
from litestar import Controller, Request, get, patch, post
from litestar.params import Parameter

from ...accounts import User
from ...deps import Limit, Offset
from ...guards import signed_in
from ...web.render import reader_locale
from . import service
from .guards import editors_only
from .schemas import ArticlePatch, FeedbackIn, NewArticle, PreviewIn

Search = Annotated[str | None, Parameter(max_length=MAX_SEARCH, description="words to find")]
StatusFilter = Annotated[
    str | None, Parameter(pattern="^(" + "|".join(ARTICLE_STATUSES) + ")$", description="status")
]


class ArticleController(Controller):
    path = "/api/v1/kb/articles"
    tags = ["knowledge"]
    guards = [signed_in]

    @get("/", operation_id="listArticles")
    async def list_articles(
        self,
        request: Request[Any, Any, Any],
        user: User,
        client: RpcClient,
        q: Search = None,
        category_id: UUID | None = None,
        status: StatusFilter = None,
        visibility: Visibility | None = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> ArticlePage:
        """Articles you may read (clients: public and published), searched in Russian
        and English, a category listing what is bound to it or below it."""
        return await service.articles(
            client,
            user,
            reader_locale(request, user),
            q=q,
            category_id=category_id,
            status=status,
            visibility=visibility,
            limit=min(limit, 200),
            offset=offset,
        )

    @post("/", operation_id="createArticle", guards=[editors_only])
    async def create(self, data: NewArticle, user: User, client: RpcClient) -> ArticleView:
        """A new article (admins and heads): version 1."""
        return await service.create_article(client, user, data)

    @post("/preview", operation_id="previewArticle", guards=[editors_only], status_code=200)
    async def preview(self, data: PreviewIn, user: User, client: RpcClient) -> ArticlePreview:
        """The texts rendered as the article would show them (admins and heads); nothing
        is stored."""
        return await service.preview(client, user, list(data.texts))

    @get("/{article_id:uuid}", operation_id="getArticle")
    async def read(
        self,
        article_id: UUID,
        user: User,
        client: RpcClient,
        suggestion_id: Annotated[
            UUID | None,
            Parameter(description="the suggestion it is opened from: counted as opened, once"),
        ] = None,
    ) -> ArticleView:
        """One article with its texts, Markdown and rendered. Opened from a suggestion
        shown to you (`suggestion_id`), that suggestion counts as opened."""
        if suggestion_id is not None:
            return await service.opened_article(client, user, article_id, suggestion_id)
        return await service.article(client, user, article_id)

    @patch("/{article_id:uuid}", operation_id="updateArticle", guards=[editors_only])
    async def change(
        self, article_id: UUID, data: ArticlePatch, user: User, client: RpcClient
    ) -> ArticleView:
        """Change an article (admins and heads): a new version when anything changed;
        `expected_version` refuses an edit made on an older one (409)."""
        return await service.update_article(client, user, article_id, data)

    @get("/{article_id:uuid}/versions", operation_id="listArticleVersions", guards=[editors_only])
    async def history(self, article_id: UUID, user: User, client: RpcClient) -> ArticleVersions:
        """Every version of the article, newest first (admins and heads)."""
        return await service.versions(client, user, article_id)


class SuggestionController(Controller):
    path = "/api/v1/kb/suggestions"
    tags = ["knowledge"]
    guards = [signed_in]

    @get("/", operation_id="suggestArticles")
    async def suggest(
        self,
        request: Request[Any, Any, Any],
        user: User,
        client: RpcClient,
        category_id: UUID | None = None,
        q: Search = None,
        incident_id: UUID | None = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_SUGGESTIONS)] = 5,
    ) -> Suggestions:
        """Articles for a request being filed or worked: bound to the category or an
        ancestor first, then by the text's relevance and how often each helped. Each
        suggestion is recorded as shown; its id is what feedback names."""
        return await service.suggestions(
            client,
            user,
            reader_locale(request, user),
            category_id=category_id,
            q=q,
            incident_id=incident_id,
            limit=limit,
        )

    @post("/{suggestion_id:uuid}/feedback", operation_id="suggestionFeedback", status_code=200)
    async def feedback(
        self,
        request: Request[Any, Any, Any],
        suggestion_id: UUID,
        data: FeedbackIn,
        user: User,
        client: RpcClient,
    ) -> SuggestionView:
        """Whether a suggestion shown to you helped (answering again replaces it);
        `solved` says a client leaves without filing: a deflection (only for suggestions
        shown before filing)."""
        return await service.feedback(
            client,
            user,
            suggestion_id,
            data.helped,
            reader_locale(request, user),
            solved=data.solved,
        )


class KnowledgeReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports", "knowledge"]
    guards = [signed_in, editors_only]

    @get("/kb", operation_id="knowledgeReport")
    async def kb(
        self,
        request: Request[Any, Any, Any],
        user: User,
        client: RpcClient,
        since: datetime | None = None,
        until: datetime | None = None,
        gap_requests: Annotated[int, Parameter(ge=1, le=1_000_000)] = 5,
    ) -> KnowledgeReportView:
        """Per article: shown, opened, helped share, deflections, incidents resolved
        with it. Per category: requests, first-contact resolution, resolutions with an
        article, deflected share; and the busy categories with no
        article that helped (default period: the last 30 days)."""
        return await service.report(
            client, user, reader_locale(request, user), since, until, gap_requests
        )
