"""The knowledge service against the real PostgreSQL and RabbitMQ: articles written and
versioned by editors, read as each role may; suggestions by category and by Russian and
English text, recorded as shown; feedback moving the ranking; the report's FCR and
deflections from intake's events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
from desk_contracts import utc_now
from desk_contracts.enums import (
    Channel,
    EntryKind,
    Locale,
    Priority,
    Role,
    Scope,
    Status,
    Visibility,
)
from desk_contracts.messages import (
    ArticleChanges,
    ArticlePage,
    ArticlePreview,
    ArticleSpec,
    ArticleText,
    ArticleVersions,
    ArticleView,
    CategoryUpserted,
    CreateArticle,
    EntryAdded,
    GetArticle,
    IncidentRegistered,
    IncidentStatusChanged,
    KnowledgeReport,
    KnowledgeReportView,
    ListArticles,
    ListArticleVersions,
    OpenArticle,
    PreviewArticle,
    Principal,
    SeedArticle,
    SeededShowing,
    SuggestArticles,
    SuggestionFeedback,
    Suggestions,
    SuggestionView,
    UpdateArticle,
)
from desk_runtime.rpc import RemoteFailure, RpcClient
from desk_runtime.service import Service
from desk_runtime.settings import DeskSettings
from desk_runtime.testing import rpc_client, send, started, wait_until
from knowledge.app import build

pytestmark = pytest.mark.integration

ORG = uuid4()
ADMIN = Principal(user_id=uuid4(), role=Role.ADMIN)
AGENT = Principal(user_id=uuid4(), role=Role.AGENT)
CLIENT = Principal(user_id=uuid4(), role=Role.CLIENT, organization_id=ORG, scope=Scope.OWN)
OTHER_CLIENT = Principal(user_id=uuid4(), role=Role.CLIENT, organization_id=ORG, scope=Scope.OWN)

FAULT, HARDWARE, PRINTERS, NETWORK = uuid4(), uuid4(), uuid4(), uuid4()
TREE = (
    (FAULT, None, ("fault",), "Fault"),
    (HARDWARE, FAULT, ("fault", "hardware"), "Hardware"),
    (PRINTERS, HARDWARE, ("fault", "hardware", "printers"), "Printers"),
    (NETWORK, FAULT, ("fault", "network"), "Network"),
)


@pytest_asyncio.fixture
async def knowledge(desk_settings: DeskSettings) -> AsyncIterator[Service]:
    service = build(desk_settings)
    async with started(service):
        for category_id, parent_id, path, name in TREE:
            await send(
                desk_settings,
                CategoryUpserted(
                    category_id=category_id,
                    parent_id=parent_id,
                    path=path,
                    name=name,
                    colour="#607d8b",
                ),
            )
        await wait_until(
            lambda: service.pool.fetchval("SELECT count(*) = $1 FROM categories", len(TREE)),
            timeout=30,
        )
        yield service


@pytest_asyncio.fixture
async def rpc(knowledge: Service, desk_settings: DeskSettings) -> AsyncIterator[RpcClient]:
    async with rpc_client(desk_settings) as client:
        yield client


async def write(
    rpc: RpcClient,
    *texts: tuple[Locale, str, str],
    categories: tuple[UUID, ...] = (),
    visibility: Visibility = Visibility.PUBLIC,
    status: str = "published",
    keywords: tuple[str, ...] = (),
) -> ArticleView:
    spec = ArticleSpec(
        texts=tuple(ArticleText(locale=lc, title=title, body=body) for lc, title, body in texts),
        visibility=visibility,
        status=status,
        category_ids=categories,
        keywords=keywords,
    )
    return await rpc.ask_as(CreateArticle(principal=ADMIN, spec=spec), ArticleView)


async def suggest(rpc: RpcClient, principal: Principal, **asked: object) -> Suggestions:
    return await rpc.ask_as(SuggestArticles(principal=principal, **asked), Suggestions)


async def test_russian_stemming_finds_the_article_and_clients_get_only_public_published(
    rpc: RpcClient, knowledge: Service
) -> None:
    invoices = await write(
        rpc,
        (Locale.RU, "Принтер не печатает счета", "Проверьте, что в лотке есть **бумага**."),
        (Locale.EN, "The printer does not print invoices", "Check the paper tray."),
        categories=(PRINTERS,),
    )
    internal = await write(
        rpc,
        (Locale.RU, "Принтер: сброс очереди печати", "Только для сотрудников."),
        categories=(PRINTERS,),
        visibility=Visibility.INTERNAL,
    )
    draft = await write(
        rpc, (Locale.RU, "Принтер печатает пустые листы", "Черновик."), status="draft"
    )
    unrelated = await write(rpc, (Locale.RU, "Не работает сеть", "Перезагрузите роутер."))

    found = await suggest(rpc, CLIENT, locale=Locale.RU, q="принтер не печатает")
    ids = [s.article_id for s in found.items]
    assert ids[0] == invoices.article_id
    assert found.items[0].title == "Принтер не печатает счета"
    assert found.items[0].locale is Locale.RU
    assert internal.article_id not in ids
    assert draft.article_id not in ids
    assert unrelated.article_id not in ids
    assert "<strong>бумага</strong>" in found.items[0].body_html

    # Staff see the internal one too; the category alone finds both bound articles.
    staff = await suggest(rpc, AGENT, locale=Locale.RU, category_id=PRINTERS)
    assert {s.article_id for s in staff.items} == {invoices.article_id, internal.article_id}
    assert all(s.bound for s in staff.items)

    # Every suggestion returned was recorded as shown, to whom and with which rank.
    rows = await knowledge.pool.fetch(
        "SELECT user_id, rank, article_id FROM suggestions ORDER BY shown_at, rank"
    )
    assert [(r["user_id"], r["rank"]) for r in rows[: len(ids)]] == [
        (CLIENT.user_id, rank) for rank in range(1, len(ids) + 1)
    ]
    shown = await knowledge.pool.fetchval(
        "SELECT shown FROM articles WHERE article_id = $1", invoices.article_id
    )
    assert shown == 2


async def test_english_stemming_binding_to_ancestors_and_language_fallback(
    rpc: RpcClient,
) -> None:
    general = await write(
        rpc,
        (Locale.EN, "Hardware faults: what to check first", "Cables, power, paper."),
        categories=(HARDWARE,),
    )
    printing = await write(
        rpc, (Locale.EN, "Printing stopped after an update", "Reinstall the driver.")
    )
    only_ru = await write(
        rpc, (Locale.RU, "Сетевой принтер не виден", "Проверьте кабель."), categories=(NETWORK,)
    )

    # "printers" asked: the article bound to its parent comes before the text match.
    found = await suggest(
        rpc, CLIENT, locale=Locale.EN, category_id=PRINTERS, q="the printer stops printing"
    )
    assert [s.article_id for s in found.items][:2] == [general.article_id, printing.article_id]
    assert found.items[0].bound
    assert not found.items[1].bound

    # Nothing in English for the network category: the Russian article instead.
    fallback = await suggest(rpc, CLIENT, locale=Locale.EN, category_id=NETWORK)
    assert [s.article_id for s in fallback.items] == [only_ru.article_id]
    assert fallback.items[0].locale is Locale.RU

    # Neither category nor text: nothing suggested, nothing recorded.
    assert (await suggest(rpc, CLIENT, locale=Locale.EN)).items == ()


async def test_feedback_is_the_viewers_own_and_moves_the_ranking(
    rpc: RpcClient, knowledge: Service
) -> None:
    first = await write(rpc, (Locale.EN, "Reset the toner counter", "Hold the button."))
    second = await write(rpc, (Locale.EN, "Replace the toner cartridge", "Open the cover."))
    shown = await suggest(rpc, CLIENT, locale=Locale.EN, q="toner")
    assert {s.article_id for s in shown.items} == {first.article_id, second.article_id}
    loser = shown.items[0]
    winner = shown.items[1]

    with pytest.raises(RemoteFailure) as refused:
        await rpc.ask(
            SuggestionFeedback(
                principal=OTHER_CLIENT, suggestion_id=winner.suggestion_id, helped=True
            )
        )
    assert refused.value.failure.status == 404

    for _ in range(3):
        again = await suggest(rpc, CLIENT, locale=Locale.EN, q="toner")
        by_article = {s.article_id: s for s in again.items}
        answer = await rpc.ask_as(
            SuggestionFeedback(
                principal=CLIENT,
                suggestion_id=by_article[winner.article_id].suggestion_id,
                helped=True,
            ),
            SuggestionView,
        )
        assert answer.helped is True
        await rpc.ask(
            SuggestionFeedback(
                principal=CLIENT,
                suggestion_id=by_article[loser.article_id].suggestion_id,
                helped=False,
            )
        )
    # Changing one's answer moves `helped`, not `rated`.
    await rpc.ask(
        SuggestionFeedback(principal=CLIENT, suggestion_id=loser.suggestion_id, helped=True)
    )
    await rpc.ask(
        SuggestionFeedback(principal=CLIENT, suggestion_id=loser.suggestion_id, helped=False)
    )
    stats = {
        r["article_id"]: (r["rated"], r["helped"])
        for r in await knowledge.pool.fetch("SELECT article_id, rated, helped FROM articles")
    }
    assert stats[winner.article_id] == (3, 3)
    assert stats[loser.article_id] == (4, 0)
    ranked = await suggest(rpc, CLIENT, locale=Locale.EN, q="toner")
    assert ranked.items[0].article_id == winner.article_id


async def test_editing_makes_versions_and_refuses_what_it_must(rpc: RpcClient) -> None:
    article = await write(
        rpc,
        (Locale.EN, "Mail does not arrive", "Check the <script>alert(1)</script> spam folder."),
        status="draft",
    )
    assert "<script" not in article.texts[0].body_html
    assert "&lt;script&gt;" in article.texts[0].body_html

    with pytest.raises(RemoteFailure) as hidden:
        await rpc.ask(GetArticle(principal=CLIENT, article_id=article.article_id))
    assert hidden.value.failure.status == 404

    published = await rpc.ask_as(
        UpdateArticle(
            principal=ADMIN,
            article_id=article.article_id,
            changes=ArticleChanges(
                status="published",
                texts=(ArticleText(locale=Locale.RU, title="Почта не приходит", body="Спам."),),
                expected_version=1,
            ),
        ),
        ArticleView,
    )
    assert published.version == 2
    assert [t.locale for t in published.texts] == [Locale.RU, Locale.EN]
    seen = await rpc.ask_as(
        GetArticle(principal=CLIENT, article_id=article.article_id), ArticleView
    )
    assert seen.version == 2

    unchanged = await rpc.ask_as(
        UpdateArticle(principal=ADMIN, article_id=article.article_id, changes=ArticleChanges()),
        ArticleView,
    )
    assert unchanged.version == 2

    refusals = [
        (ADMIN, ArticleChanges(expected_version=1, keywords=("mail",)), 409),
        (ADMIN, ArticleChanges(status="draft"), 422),
        (ADMIN, ArticleChanges(category_ids=(uuid4(),)), 422),
        (AGENT, ArticleChanges(keywords=("mail",)), 403),
    ]
    for principal, changes, status in refusals:
        with pytest.raises(RemoteFailure) as refused:
            await rpc.ask(
                UpdateArticle(principal=principal, article_id=article.article_id, changes=changes)
            )
        assert refused.value.failure.status == status, changes
    with pytest.raises(RemoteFailure) as not_editor:
        await rpc.ask(
            CreateArticle(
                principal=CLIENT,
                spec=ArticleSpec(texts=(ArticleText(locale=Locale.EN, title="Mine"),)),
            )
        )
    assert not_editor.value.failure.status == 403

    history = await rpc.ask_as(
        ListArticleVersions(principal=ADMIN, article_id=article.article_id), ArticleVersions
    )
    assert [v.version for v in history.items] == [2, 1]
    assert history.items[1].status == "draft"
    assert [t.locale for t in history.items[1].texts] == [Locale.EN]

    listed = await rpc.ask_as(
        ListArticles(principal=CLIENT, locale=Locale.RU, q="почта"), ArticlePage
    )
    assert [(i.article_id, i.title) for i in listed.items] == [
        (article.article_id, "Почта не приходит")
    ]
    assert listed.items[0].locales == (Locale.RU, Locale.EN)


async def test_seeding_an_article_twice_keeps_the_first(
    rpc: RpcClient, knowledge: Service, desk_settings: DeskSettings
) -> None:
    article_id = uuid4()
    sent = []
    for title in ("Seeded", "Seeded again"):
        envelope = await send(
            desk_settings,
            SeedArticle(
                article_id=article_id,
                spec=ArticleSpec(
                    texts=(ArticleText(locale=Locale.EN, title=title),), status="published"
                ),
                history=(
                    SeededShowing(
                        user_id=CLIENT.user_id, days_ago=3, helped=True, opened=True, solved=True
                    ),
                    SeededShowing(user_id=CLIENT.user_id, days_ago=2, helped=False),
                    SeededShowing(user_id=OTHER_CLIENT.user_id, days_ago=1),
                ),
            ),
        )
        sent.append(envelope.message_id)
    await wait_until(
        lambda: knowledge.pool.fetchval(
            "SELECT count(*) = 2 FROM inbox WHERE message_id = ANY($1::uuid[])", sent
        ),
        timeout=30,
    )
    view = await rpc.ask_as(GetArticle(principal=CLIENT, article_id=article_id), ArticleView)
    assert view.texts[0].title == "Seeded"
    # Its history once, not twice, and the counters to match.
    counters = await knowledge.pool.fetchrow(
        "SELECT shown, rated, helped FROM articles WHERE article_id = $1", article_id
    )
    assert tuple(counters) == (3, 2, 1)
    report = await rpc.ask_as(KnowledgeReport(principal=ADMIN), KnowledgeReportView)
    row = next(a for a in report.articles if a.article_id == article_id)
    assert (row.shown, row.opened, row.rated, row.helped, row.deflections) == (3, 1, 2, 1, 1)


async def test_the_report_counts_first_contact_resolutions_and_deflections(
    rpc: RpcClient, knowledge: Service, desk_settings: DeskSettings
) -> None:
    helpful = await write(rpc, (Locale.EN, "Paper jam", "Open tray 2."), categories=(PRINTERS,))
    # The client opens it (twice: counted once), says it solved the problem and does not
    # file: a deflection.
    shown = await suggest(rpc, CLIENT, locale=Locale.EN, category_id=PRINTERS)
    suggestion_id = shown.items[0].suggestion_id
    for _ in range(2):
        opened = await rpc.ask_as(
            OpenArticle(
                principal=CLIENT, article_id=helpful.article_id, suggestion_id=suggestion_id
            ),
            ArticleView,
        )
        assert opened.article_id == helpful.article_id
    with pytest.raises(RemoteFailure) as not_theirs:
        await rpc.ask(
            OpenArticle(
                principal=OTHER_CLIENT, article_id=helpful.article_id, suggestion_id=suggestion_id
            )
        )
    assert [e.field for e in not_theirs.value.failure.errors] == ["suggestion_id"]
    await rpc.ask(
        SuggestionFeedback(principal=CLIENT, suggestion_id=suggestion_id, helped=True, solved=True)
    )
    # Another client says so too, but files anyway: not a deflection. A helped alone
    # is none either, and staff record none.
    other = await suggest(rpc, OTHER_CLIENT, locale=Locale.EN, category_id=PRINTERS)
    await rpc.ask(
        SuggestionFeedback(
            principal=OTHER_CLIENT,
            suggestion_id=other.items[0].suggestion_id,
            helped=True,
            solved=True,
        )
    )
    staff = await suggest(rpc, AGENT, locale=Locale.EN, category_id=PRINTERS)
    with pytest.raises(RemoteFailure) as not_a_client:
        await rpc.ask(
            SuggestionFeedback(
                principal=AGENT,
                suggestion_id=staff.items[0].suggestion_id,
                helped=True,
                solved=True,
            )
        )
    assert [e.field for e in not_a_client.value.failure.errors] == ["solved"]
    now = utc_now()
    first_contact, two_replies = uuid4(), uuid4()
    for number, incident_id in enumerate((first_contact, two_replies)):
        await send(
            desk_settings,
            IncidentRegistered(
                incident_id=incident_id,
                number=f"INC-{number}",
                title="Paper jam",
                category_id=PRINTERS,
                category_path=("fault", "hardware", "printers"),
                priority=Priority.NORMAL,
                channel=Channel.PORTAL,
                requester_id=OTHER_CLIENT.user_id,
                organization_id=ORG,
                registered_at=now,
            ),
        )
    replies = [(first_contact, 1), (two_replies, 1), (two_replies, 2)]
    for incident_id, minutes in replies:
        await send(
            desk_settings,
            EntryAdded(
                incident_id=incident_id,
                number="INC",
                entry_id=uuid4(),
                kind=EntryKind.COMMENT,
                visibility=Visibility.PUBLIC,
                author_id=AGENT.user_id,
                author_role=Role.AGENT,
                text="Open tray 2.",
                created_at=now + timedelta(minutes=minutes),
                requester_id=OTHER_CLIENT.user_id,
                organization_id=ORG,
                # The first contact's reply links the article: resolved with it.
                article_id=helpful.article_id if incident_id == first_contact else None,
                article_version=1 if incident_id == first_contact else None,
            ),
        )
    for incident_id in (first_contact, two_replies):
        await send(
            desk_settings,
            IncidentStatusChanged(
                incident_id=incident_id,
                number="INC",
                previous=Status.IN_PROGRESS,
                status=Status.RESOLVED,
                changed_at=now + timedelta(minutes=3),
                requester_id=OTHER_CLIENT.user_id,
                category_path=("fault", "hardware", "printers"),
                priority=Priority.NORMAL,
            ),
        )
    await wait_until(
        lambda: knowledge.pool.fetchval(
            "SELECT (SELECT count(*) FROM incidents) = 2 "
            "AND (SELECT count(*) FROM incident_activity) = 5"
        ),
        timeout=30,
    )
    report = await rpc.ask_as(
        KnowledgeReport(principal=ADMIN, until=now + timedelta(hours=1), gap_requests=1),
        KnowledgeReportView,
    )
    article = next(a for a in report.articles if a.article_id == helpful.article_id)
    assert (article.shown, article.opened, article.rated, article.helped) == (3, 1, 2, 2)
    assert article.helped_share == 1.0
    assert article.deflections == 1
    assert article.resolved_with == 1
    printers = next(c for c in report.categories if c.category_id == PRINTERS)
    assert (printers.requests, printers.resolved, printers.first_contact) == (2, 2, 1)
    assert printers.fcr_rate == 0.5
    assert printers.deflections == 1
    assert printers.helpful_articles == 1
    assert printers.resolved_with_article == 1
    assert printers.path == ("fault", "hardware", "printers")
    assert PRINTERS not in {gap.category_id for gap in report.gaps}

    with pytest.raises(RemoteFailure) as refused:
        await rpc.ask(KnowledgeReport(principal=AGENT))
    assert refused.value.failure.status == 403


async def test_a_preview_renders_as_the_article_would_and_stores_nothing(
    rpc: RpcClient, knowledge: Service
) -> None:
    texts = (ArticleText(locale=Locale.RU, title="Черновик", body="**Жирно** <script>x</script>"),)
    preview = await rpc.ask_as(PreviewArticle(principal=ADMIN, texts=texts), ArticlePreview)
    assert "<strong>Жирно</strong>" in preview.texts[0].body_html
    assert "<script>" not in preview.texts[0].body_html
    assert await knowledge.pool.fetchval("SELECT count(*) FROM articles") == 0
    with pytest.raises(RemoteFailure) as refused:
        await rpc.ask(PreviewArticle(principal=AGENT, texts=texts))
    assert refused.value.failure.status == 403
