"""Finding NUL characters anywhere in a JSON body, by field path."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from portal_gateway.input_hygiene import first_nul_field


def test_names_the_field_holding_a_nul() -> None:
    assert first_nul_field({"title": "ok", "description": "a\x00b"}) == "description"
    assert first_nul_field({"tags": ["x", "y\x00"]}) == "tags.1"
    assert first_nul_field({"nested": {"name": "\x00"}}) == "nested.name"
    assert first_nul_field({"ok": "fine", "n": 3, "none": None}) is None


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text().filter(lambda t: "\x00" not in t),
        lambda children: (
            st.lists(children)
            | st.dictionaries(st.text().filter(lambda t: "\x00" not in t), children)
        ),
    )
)
def test_clean_documents_pass(document: object) -> None:
    assert first_nul_field(document) is None
