"""The page every copy is drawn on, and how a paragraph is drawn on it.

A4, the portal's margins, metadata naming the document and a reference (never the client),
a footer with the practice, the reference and "page n of m". Paragraphs are drawn in a
``TextStyle`` (weight, size, line height, space around, grey), wrapped across the page.
Right-to-left text (Hebrew, Arabic) is put in visual order line by line with fpdf2's own
Unicode bidi algorithm and right-aligned; if ``uharfbuzz`` is installed, fpdf2's full text
shaping is used instead (which also joins Arabic letters).
"""

from __future__ import annotations

import importlib.util
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from fpdf import FPDF
from fpdf.bidi import BidiParagraph, auto_detect_base_direction
from fpdf.enums import Align, MethodReturnValue, TextDirection, XPos, YPos
from fpdf.fonts import TTFFont

from portal.pdf.fonts import CORE_ENCODING, CORE_FAMILY, FAMILY, FontFiles
from portal.pdf.text import TextCleaner


@dataclass(frozen=True)
class TextStyle:
    """How one kind of paragraph looks: bold or not, size in points, line height and the
    space after (and before) it in millimetres, and a grey (0 black .. 255 white) if not
    black."""

    bold: bool
    size: float
    line_height: float
    space_after: float
    space_before: float = 0.0
    grey: int | None = None


def _has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)


class CopyPDF(FPDF):
    """An A4 document with a footer naming the practice, the reference and the page."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.clean: Callable[[str], str] = str
        self.cleaner = TextCleaner(None)
        self.family = CORE_FAMILY
        self.has_bold = True
        self.shaping = False
        # fpdf2 replaces this marker with the page count wherever it appears, so it must be
        # something no client would type.
        self.page_total = f"{{pages-{secrets.token_hex(6)}}}"
        self.alias_nb_pages(self.page_total)

    def use_font(self, bold: bool, size: float) -> None:
        self.set_font(self.family, "B" if bold and self.has_bold else "", size)

    def footer(self) -> None:
        self.set_y(-14)
        self.use_font(False, 8)
        self.set_text_color(90)
        # One sentence in the copy's language (the one active while it is drawn).
        text = gettext("%(footer)s · page %(page)s of %(pages)s") % {
            "footer": self.clean(self.footer_text), "page": self.page_no(),
            "pages": self.page_total}
        self.cell(0, 5, text, align=Align.C)
        self.set_text_color(0)

    def wrapped(self, text: str, height: float) -> list[str]:
        """The lines ``text`` wraps into in the current font, without drawing (at least
        one, if empty)."""
        lines = self.multi_cell(0, height, text, dry_run=True, output=MethodReturnValue.LINES)
        return cast(list[str], lines) or [""]

    def paragraph(self, text: str, height: float) -> None:
        """Text in the current font across the page, wrapped; right-to-left lines put in
        visual order and right-aligned unless fpdf2's own shaping is on."""
        text = self.clean(text)
        if self.shaping or not _has_rtl(text):
            self.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            return
        for part in text.split("\n"):
            direction = auto_detect_base_direction(part)
            for line in self.wrapped(part, height):
                visual = BidiParagraph(line, base_direction=direction).get_reordered_string()
                self.cell(0, height, visual,
                          align=Align.R if direction == TextDirection.RTL else Align.L,
                          new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def indent(self, amount: float) -> None:
        """Move the left margin by ``amount`` mm (negative to move it back)."""
        self.set_left_margin(self.l_margin + amount)
        self.set_x(self.l_margin)

    def styled_paragraph(self, text: str, style: TextStyle, *, indent: float = 0.0) -> None:
        """``text`` as a paragraph in ``style``, its left edge ``indent`` mm further in."""
        if style.space_before:
            self.ln(style.space_before)
        self.use_font(style.bold, style.size)
        if indent:
            self.indent(indent)
        if style.grey is not None:
            self.set_text_color(style.grey)
        self.paragraph(text, style.line_height)
        if style.grey is not None:
            self.set_text_color(0)
        if indent:
            self.indent(-indent)
        self.ln(style.space_after)

    def height_of(self, text: str, style: TextStyle) -> float:
        """How tall ``text`` in ``style`` will be, measured without drawing."""
        self.use_font(style.bold, style.size)
        lines = self.wrapped(self.clean(text), style.line_height)
        return style.space_before + len(lines) * style.line_height + style.space_after

    def finish(self, replaced_note: str, note_style: TextStyle) -> bytes:
        """The finished PDF. If any character had to be replaced, ``replaced_note`` (with
        ``{mark}`` for the mark used) is drawn last in ``note_style``, so a reader never
        mistakes a mark for what was written."""
        if self.cleaner.replaced:
            self.styled_paragraph(replaced_note.format(mark=self.cleaner.mark), note_style)
        return bytes(self.output())


def new_copy_pdf(
    *, footer: str, title: str, author: str, subject: str, fonts: FontFiles | None,
    compress: bool = True,
) -> CopyPDF:
    """An A4 copy with the portal's margins, metadata, fonts (DejaVu, or Helvetica when
    ``fonts`` is None, with text shaping when ``uharfbuzz`` is installed) and a text cleaner
    (``pdf.clean``, ``pdf.cleaner``) that makes every string drawable. Every copy starts
    here."""
    pdf = CopyPDF(footer)
    pdf.compress = compress
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_subject(subject)
    pdf.set_creator("Intake portal")
    # The copy's language: the one active while it is made (its reader's).
    pdf.set_lang(translation.get_language() or settings.LANGUAGE_CODE)
    if fonts is not None:
        pdf.add_font(FAMILY, "", str(fonts.regular))
        if fonts.bold is not None:
            pdf.add_font(FAMILY, "B", str(fonts.bold))
        pdf.family = FAMILY
        pdf.has_bold = fonts.bold is not None
        pdf.use_font(False, 10)
        if importlib.util.find_spec("uharfbuzz") is not None:
            pdf.set_text_shaping(True)
            pdf.shaping = True
    else:
        pdf.core_fonts_encoding = CORE_ENCODING
        pdf.use_font(False, 10)
    font = pdf.current_font
    pdf.cleaner = TextCleaner(font.cmap if isinstance(font, TTFFont) else None)
    pdf.clean = pdf.cleaner
    return pdf
