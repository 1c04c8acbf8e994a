"""``portal.pdf``, the one home of PDF copies: the shipped font is found, any text is made
drawable (and a replacement is owned up to), and paragraphs are drawn and measured by
style, so the consent copy can keep its signature box on one page."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.pdf import FontFiles, TextCleaner, TextStyle, find_unicode_font, new_copy_pdf
from tests.helpers import pdf_text

ROOT = Path(__file__).resolve().parents[2]
BODY = TextStyle(bold=False, size=10, line_height=5, space_after=2.5)
HEADING = TextStyle(bold=True, size=13, line_height=7, space_after=1, space_before=3)
NOTE = TextStyle(bold=False, size=9, line_height=4.5, space_after=0, space_before=2)
REPLACED = "Some characters appear as {mark}."


def test_the_font_shipped_with_the_platform_is_found_first() -> None:
    fonts = find_unicode_font()
    assert fonts is not None
    assert fonts.regular == ROOT / "portal/pdf/fonts/DejaVuSans.ttf"
    assert find_unicode_font([Path("/nowhere")]) is None


def test_helvetica_keeps_what_windows_1252_can_say_and_marks_the_rest() -> None:
    clean = TextCleaner(None)
    assert clean("café") == "café" and not clean.replaced
    assert clean("Łódź ő") == "Lódz o" and not clean.replaced  # base letters, not gaps
    assert clean("漢字 😊🏽") == "?? ?"  # the skin tone belongs to the emoji before it
    assert clean.replaced and clean.mark == "?"


def test_a_unicode_font_marks_what_it_cannot_draw_with_the_replacement_character() -> None:
    clean = TextCleaner({ord(char) for char in "ab \ufffd"})
    assert clean("a\tb") == "a    b"
    assert clean("a漢b") == "a\ufffdb" and clean.replaced


@pytest.mark.parametrize("fonts", [None, "dejavu"])
def test_a_copy_owns_up_to_replaced_characters_and_only_then(fonts: str | None) -> None:
    found = find_unicode_font() if fonts else None
    regular_only = FontFiles(found.regular, None) if found else None

    def copy(text: str) -> str:
        pdf = new_copy_pdf(footer="Practice · ref", title="t", author="a", subject="s",
                           fonts=regular_only, compress=False)
        pdf.add_page()
        pdf.styled_paragraph(text, BODY)
        return pdf_text(pdf.finish(REPLACED, NOTE), unicode_font=regular_only is not None)

    assert "appear as" not in copy("All drawable")
    marked = copy("Not drawable: \U0001f9ff\U0002a700")
    assert "appear as" in marked and "Practice · ref" in marked


def test_a_paragraph_is_as_tall_as_measured() -> None:
    pdf = new_copy_pdf(footer="f", title="t", author="a", subject="s", fonts=None)
    pdf.add_page()
    text = "A sentence long enough to wrap across more than one line of the page. " * 4
    for style in (BODY, HEADING):
        measured = pdf.height_of(text, style)
        top = pdf.get_y()
        pdf.styled_paragraph(text, style)
        assert pdf.get_y() - top == pytest.approx(measured)
        assert measured > 2 * style.line_height  # it did wrap


def test_an_indented_paragraph_gives_the_margin_back() -> None:
    pdf = new_copy_pdf(footer="f", title="t", author="a", subject="s", fonts=None)
    pdf.add_page()
    margin = pdf.l_margin
    pdf.styled_paragraph("Indented", BODY, indent=6)
    assert pdf.l_margin == margin
