"""Who edits and reads articles, how statuses move, what an edit makes of an article."""

from __future__ import annotations

from uuid import uuid4

import pytest
from desk_contracts.enums import Locale, Role, Visibility
from desk_contracts.messages import ArticleChanges, ArticleSpec, ArticleText
from knowledge.domain import articles as rules
from pydantic import ValidationError

RU = ArticleText(locale=Locale.RU, title="Принтер не печатает", body="Проверьте бумагу.")
EN = ArticleText(locale=Locale.EN, title="The printer does not print", body="Check the paper.")


def state() -> rules.ArticleState:
    return rules.ArticleState.of(
        ArticleSpec(texts=(EN, RU), category_ids=(uuid4(),), keywords=("Printer", "paper"))
    )


def test_only_admins_and_heads_edit() -> None:
    assert {role for role in Role if rules.can_edit(role)} == {Role.ADMIN, Role.HEAD}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("visibility", list(Visibility))
@pytest.mark.parametrize("status", ["draft", "published", "archived"])
def test_who_reads_what(role: Role, visibility: Visibility, status: str) -> None:
    readable = rules.can_read(role, visibility, status)
    if role in (Role.ADMIN, Role.HEAD):
        assert readable
    elif role is Role.CLIENT:
        assert readable == (status == "published" and visibility is Visibility.PUBLIC)
    else:
        assert readable == (status == "published")


def test_status_moves() -> None:
    assert rules.may_move("draft", "published")
    assert rules.may_move("published", "archived")
    assert rules.may_move("archived", "published")
    assert rules.may_move("archived", "draft")
    assert not rules.may_move("published", "draft")
    for status in rules.TRANSITIONS:
        assert rules.may_move(status, status)


def test_the_state_keeps_texts_in_language_order_and_items_once() -> None:
    article = state()
    assert [t.locale for t in article.texts] == [Locale.RU, Locale.EN]
    assert article.keywords == ("printer", "paper")
    again = rules.ArticleState.of(ArticleSpec(texts=(EN,), keywords=("a", "A", "b")))
    assert again.keywords == ("a", "b")


def test_an_edit_that_changes_nothing_leaves_the_state_equal() -> None:
    article = state()
    assert rules.apply(article, ArticleChanges()) == article
    assert rules.apply(article, ArticleChanges(texts=(RU,), status="draft")) == article


def test_a_text_given_replaces_only_its_language() -> None:
    article = state()
    new_en = ArticleText(locale=Locale.EN, title="Printing fails", body="Restart it.")
    changed = rules.apply(article, ArticleChanges(texts=(new_en,), visibility=Visibility.INTERNAL))
    assert changed.texts == (RU, new_en)
    assert changed.visibility is Visibility.INTERNAL
    assert changed.category_ids == article.category_ids
    bound = uuid4()
    assert rules.apply(article, ArticleChanges(category_ids=(bound, bound))).category_ids == (
        bound,
    )


def test_text_for_prefers_the_language_then_falls_back() -> None:
    assert rules.text_for((RU, EN), Locale.EN) is EN
    assert rules.text_for((RU,), Locale.EN) is RU


def test_a_spec_needs_one_text_per_language_and_no_blank_title() -> None:
    with pytest.raises(ValidationError):
        ArticleSpec(texts=())
    with pytest.raises(ValidationError):
        ArticleSpec(texts=(EN, EN))
    with pytest.raises(ValidationError):
        ArticleSpec(texts=(ArticleText(locale=Locale.EN, title="  "),))
    with pytest.raises(ValidationError):
        ArticleChanges(texts=(RU, RU))
    with pytest.raises(ValidationError):
        ArticleSpec(texts=(EN,), status="gone")
