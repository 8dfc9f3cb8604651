"""Articles: written and changed by editors (each change a new version), read as each
role may, listed and searched, and their history."""

from __future__ import annotations

from uuid import UUID, uuid4

from desk_contracts.enums import Locale, Role, Visibility
from desk_contracts.messages import (
    ArticleListItem,
    ArticlePage,
    ArticlePreview,
    ArticleText,
    ArticleTextView,
    ArticleVersions,
    ArticleVersionView,
    ArticleView,
    CreateArticle,
    GetArticle,
    ListArticles,
    ListArticleVersions,
    OpenArticle,
    PreviewArticle,
    Principal,
    SeedArticle,
    UpdateArticle,
)
from desk_runtime.errors import Conflict, Forbidden, Invalid, NotFound
from desk_runtime.handlers import Handlers
from desk_runtime.service import Service, UnitOfWork

from ..domain import articles as rules
from ..domain import markdown
from ..store import Db
from ..store import articles as store
from ..store import suggestions as suggestion_store

handlers = Handlers()

NOT_FOUND = "article not found"


def text_view(text: ArticleText, body_html: str | None = None) -> ArticleTextView:
    """One language as readers see it: rendered by the safe renderer unless the stored
    rendering is given."""
    return ArticleTextView(
        locale=text.locale,
        title=text.title,
        body=text.body,
        body_html=body_html or markdown.render(text.body),
    )


def view(article: store.StoredArticle) -> ArticleView:
    state = article.state
    return ArticleView(
        article_id=article.article_id,
        version=article.version,
        visibility=state.visibility,
        status=state.status,
        category_ids=state.category_ids,
        keywords=state.keywords,
        texts=tuple(text_view(text, article.html.get(text.locale)) for text in state.texts),
        author_id=article.author_id,
        created_at=article.created_at,
        updated_at=article.updated_at,
    )


def require_editor(principal: Principal) -> None:
    if not rules.can_edit(principal.role):
        raise Forbidden("only admins and heads edit the knowledge base")


async def check_categories(db: Db, ids: tuple[UUID, ...]) -> None:
    unknown = set(ids) - await store.known_categories(db, ids)
    if unknown:
        index = next(i for i, c in enumerate(ids) if c in unknown)
        raise Invalid.field(f"category_ids.{index}", "no such category")


async def readable(db: Db, principal: Principal, article_id: UUID) -> store.StoredArticle:
    """The article if the principal may read it; a client is not told that an internal
    or unpublished one exists."""
    article = await store.get(db, article_id)
    if article is None or not rules.can_read(
        principal.role, article.state.visibility, article.state.status
    ):
        raise NotFound(NOT_FOUND)
    return article


@handlers.answers(CreateArticle)
async def create_article(request: CreateArticle, service: Service) -> ArticleView:
    """An editor's new article: version 1, with its texts rendered and indexed."""
    require_editor(request.principal)
    state = rules.ArticleState.of(request.spec)
    article_id = uuid4()
    async with service.pool.acquire() as conn, conn.transaction():
        await check_categories(conn, state.category_ids)
        await store.insert(conn, article_id, state, request.principal.user_id)
        stored = await store.get(conn, article_id)
    assert stored is not None
    return view(stored)


@handlers.answers(UpdateArticle)
async def update_article(request: UpdateArticle, service: Service) -> ArticleView:
    """An editor's change: a new version when anything changed, the old ones kept."""
    require_editor(request.principal)
    changes = request.changes
    async with service.pool.acquire() as conn, conn.transaction():
        current = await store.get(conn, request.article_id, lock=True)
        if current is None:
            raise NotFound(NOT_FOUND)
        if changes.expected_version is not None and changes.expected_version != current.version:
            raise Conflict(
                f"the article is at version {current.version}, "
                f"not {changes.expected_version}: reload it and edit again",
                data={"version": current.version},
            )
        if changes.status is not None and not rules.may_move(current.state.status, changes.status):
            raise Invalid.field(
                "status", f"an article {current.state.status} cannot become {changes.status}"
            )
        if changes.category_ids is not None:
            await check_categories(conn, changes.category_ids)
        state = rules.apply(current.state, changes)
        if state == current.state:
            return view(current)
        await store.update(
            conn, request.article_id, current.version + 1, state, request.principal.user_id
        )
        stored = await store.get(conn, request.article_id)
    assert stored is not None
    return view(stored)


@handlers.answers(GetArticle)
async def get_article(request: GetArticle, service: Service) -> ArticleView:
    """One article as the principal may read it."""
    return view(await readable(service.pool, request.principal, request.article_id))


@handlers.answers(OpenArticle)
async def open_article(request: OpenArticle, service: Service) -> ArticleView:
    """The article opened from a suggestion shown to the reader: the suggestion counts
    as opened, once however often it is opened."""
    async with service.pool.acquire() as conn, conn.transaction():
        article = await readable(conn, request.principal, request.article_id)
        if not await suggestion_store.opened(
            conn, request.suggestion_id, request.principal.user_id, request.article_id
        ):
            raise Invalid.field("suggestion_id", "no suggestion of this article was shown to you")
    return view(article)


@handlers.answers(PreviewArticle)
async def preview_article(request: PreviewArticle, service: Service) -> ArticlePreview:
    """The texts as the article would show them, rendered by the article's own renderer;
    nothing is stored (editors)."""
    require_editor(request.principal)
    return ArticlePreview(texts=tuple(text_view(text) for text in request.texts))


def visible_to(role: Role) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(statuses, visibilities) a role may list."""
    if rules.can_edit(role):
        return (rules.DRAFT, rules.PUBLISHED, rules.ARCHIVED), ("public", "internal")
    if role.is_staff:
        return (rules.PUBLISHED,), ("public", "internal")
    return (rules.PUBLISHED,), ("public",)


@handlers.answers(ListArticles)
async def list_articles(request: ListArticles, service: Service) -> ArticlePage:
    """Articles the principal may read; a category lists what is bound to it or to a
    category below it."""
    statuses, visibilities = visible_to(request.principal.role)
    if request.status is not None:
        statuses = tuple(s for s in statuses if s == request.status)
    if request.visibility is not None:
        visibilities = tuple(v for v in visibilities if v == request.visibility.value)
    below = None
    if request.category_id is not None:
        below = await store.subtree(service.pool, request.category_id)
    q = (request.q or "").strip() or None
    found = await store.listing(
        service.pool,
        locale=request.locale,
        statuses=statuses,
        visibilities=visibilities,
        category_ids=below,
        q=q,
        limit=request.limit,
        offset=request.offset,
    )
    return ArticlePage(
        total=found.total,
        items=tuple(
            ArticleListItem(
                article_id=row["article_id"],
                version=row["version"],
                visibility=Visibility(row["visibility"]),
                status=row["status"],
                category_ids=tuple(row["category_ids"]),
                locale=Locale(row["locale"]),
                title=row["title"],
                locales=tuple(Locale(locale) for locale in row["locales"]),
                updated_at=row["updated_at"],
            )
            for row in found.rows
        ),
    )


@handlers.answers(ListArticleVersions)
async def list_versions(request: ListArticleVersions, service: Service) -> ArticleVersions:
    """Every version of an article, newest first (editors)."""
    require_editor(request.principal)
    rows = await store.versions(service.pool, request.article_id)
    if not rows:
        raise NotFound(NOT_FOUND)
    items = []
    for row in rows:
        state = store.state_of(row["snapshot"])
        items.append(
            ArticleVersionView(
                version=row["version"],
                author_id=row["author_id"],
                created_at=row["created_at"],
                visibility=state.visibility,
                status=state.status,
                category_ids=state.category_ids,
                keywords=state.keywords,
                texts=state.texts,
            )
        )
    return ArticleVersions(article_id=request.article_id, items=tuple(items))


@handlers.handles(SeedArticle)
async def on_seed(command: SeedArticle, uow: UnitOfWork) -> None:
    """The demo's article under its fixed id, once: an existing one is left as it is
    (an editor may have changed it since)."""
    created = await store.insert(
        uow.conn, command.article_id, rules.ArticleState.of(command.spec), command.author_id
    )
    if created:
        await suggestion_store.record_history(uow.conn, command.article_id, list(command.history))
