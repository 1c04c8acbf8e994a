"""Whether typed text shows anything: the early answer agrees with the full count."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from portal.text import has_visible_text, visible_length

INVISIBLE = " \t\r\n\u00a0\u200b\u200c\u200d\u200e\u200f\u2028\u2060\ufeff\u3000"


@given(st.text())
def test_any_text_shows_something_exactly_when_it_has_a_visible_character(text: str) -> None:
    assert has_visible_text(text) is (visible_length(text) > 0)


@given(st.text(alphabet=INVISIBLE), st.text(alphabet=INVISIBLE))
def test_one_mark_among_spaces_and_zero_width_characters_is_seen(before: str, after: str) -> None:
    assert not has_visible_text(before + after)
    for mark in ("a", "é", "\u0301", "7", "!", "€", "😀", "日"):
        assert has_visible_text(before + mark + after), repr(mark)
