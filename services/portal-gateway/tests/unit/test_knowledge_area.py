"""The gateway's knowledge area: every word of its pages in Russian, the demo articles
valid, in both languages, and bound to demo categories."""

from __future__ import annotations

import re
from pathlib import Path

from desk_contracts.enums import Locale, Visibility
from portal_gateway.domain.knowledge.demo import DEMO_ARTICLES
from portal_gateway.domain.knowledge.words import RU
from portal_gateway.seed import DEMO_CATEGORIES, category_id
from portal_gateway.web.i18n import translator

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "portal_gateway" / "templates" / "web"
PAGES = (
    "kb.html",
    "kb_article.html",
    "_kb_suggestions.html",
    "kb_report.html",
    "incident.html",
    "kb_editor.html",
    "kb_editor_list.html",
    "_kb_preview.html",
)
SOURCES = TEMPLATES.parents[1] / "domain" / "knowledge"


def phrases(template: str) -> set[str]:
    return set(re.findall(r'(?<![\w.])t\("([^"]+)"', (TEMPLATES / template).read_text()))


def test_every_phrase_of_the_knowledge_pages_reads_in_russian() -> None:
    ru = translator("ru")
    missing = {phrase for page in PAGES for phrase in phrases(page) if ru(phrase) == phrase} - {
        "{total} articles"
    }
    assert not missing
    assert ru("{total} articles", total=3) == "Статей: 3"
    for phrase in ("Helped", "Did not help", "Show answers", "Knowledge base"):
        assert ru(phrase) == RU[phrase]
    for status in ("draft", "published", "archived", "internal"):
        assert ru(status) != status


def test_every_phrase_the_knowledge_handlers_say_reads_in_russian() -> None:
    from portal_gateway.domain.knowledge import service

    ru = translator("ru")
    said = set()
    for source in ("pages.py", "editor.py"):
        text = (SOURCES / source).read_text()
        # t("…") over one line or several adjacent literals.
        for call in re.findall(r'\bt\(\s*((?:"[^"]*"\s*)+)', text):
            said.add("".join(re.findall(r'"([^"]*)"', call)))
    assert said
    missing = {p for p in said if ru(p, version=2) == p.format(version=2)}
    assert not missing
    # Why a reply links no article, said on the incident page in the reader's words.
    for reason in (service.NO_SUCH_ARTICLE, service.NOT_LINKABLE):
        assert ru(reason) != reason
    assert ru("only a public reply by staff links an article") != (
        "only a public reply by staff links an article"
    )


def test_demo_articles_are_in_both_languages_bound_to_demo_categories() -> None:
    paths = {path for path, *_ in DEMO_CATEGORIES}
    slugs = [a.slug for a in DEMO_ARTICLES]
    assert len(slugs) == len(set(slugs))
    for article in DEMO_ARTICLES:
        spec = article.spec(category_id)
        assert {t.locale for t in spec.texts} == {Locale.RU, Locale.EN}
        assert spec.status == "published"
        assert set(article.categories) <= paths
        assert spec.category_ids == tuple(category_id(p) for p in article.categories)
    assert any(a.visibility is Visibility.INTERNAL for a in DEMO_ARTICLES)
    # The demo's printing problem finds its answer in Russian (the integration test of
    # knowledge checks the stemming itself).
    assert any(a.ru[0] == "Принтер не печатает счета" for a in DEMO_ARTICLES)


def test_the_demo_history_differs_by_article_and_shows_internal_ones_to_staff() -> None:
    from desk_contracts.enums import Role
    from portal_gateway.domain.knowledge.demo import history
    from portal_gateway.seed import demo_id

    shares = set()
    for index, article in enumerate(DEMO_ARTICLES):
        showings = history(index, article, category_id, lambda n: demo_id(f"user:{n}"))
        assert showings == history(index, article, category_id, lambda n: demo_id(f"user:{n}"))
        assert len(showings) >= 6
        answered = [s for s in showings if s.helped is not None]
        shares.add(round(sum(bool(s.helped) for s in answered) / len(answered), 2))
        staff = {s.role for s in showings} == {Role.AGENT}
        assert staff == (article.visibility is Visibility.INTERNAL)
    assert len(shares) > 3


def test_the_editor_form_becomes_texts_and_fields_each_text_needing_its_title() -> None:
    from portal_gateway.domain.knowledge.editor import spec_fields, texts_of

    ru = translator("ru")
    texts, errors = texts_of({"title_en": " Toner ", "body_en": "**Shake**", "body_ru": " "}, ru)
    assert [(t.locale, t.title, t.body) for t in texts] == [(Locale.EN, "Toner", "**Shake**")]
    assert errors == {}
    _, untitled = texts_of({"body_ru": "Встряхните"}, ru)
    assert untitled == {"title_ru": "У текста должен быть заголовок."}
    _, empty = texts_of({}, ru)
    assert empty == {"title_en": "Напишите статью хотя бы на одном языке."}
    fields = spec_fields(
        {"category_ids": ["not-an-id", str(category_id(("fault",)))], "keywords": "a, ,b "}
    )
    assert fields == {
        "visibility": "public",
        "status": "draft",
        "category_ids": [str(category_id(("fault",)))],
        "keywords": ["a", "b"],
    }
