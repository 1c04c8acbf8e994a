"""A PDF copy of a submitted intake, for the client and for their care team.

The words come from ``answer_sections`` (the one place stored answers become text), so the
PDF says exactly what the review page says. Building the copy decrypts the answers: the
views that serve it audit every download.

Fonts. PDF's built-in fonts only know Windows-1252, and clients write in every script (and
with emoji). The copy is set in DejaVu Sans, a TrueType font with broad coverage (Latin,
Greek, Cyrillic, Hebrew, Arabic, many symbols and emoji outlines), found in this order:

1. ``intake/exports/fonts/`` (``DejaVuSans.ttf``, optionally ``DejaVuSans-Bold.ttf``), for
   a deployment that ships the files with the code;
2. the operating system's DejaVu package (Debian and Ubuntu ``fonts-dejavu-core``, Fedora,
   Alpine, Arch paths).

No pip package we depend on ships a text font. Without DejaVu the copy falls back to
Helvetica: accents are kept where Windows-1252 has them and otherwise reduced to the base
letter (``ő`` -> ``o``), and anything else is replaced. Either way a character the font cannot
draw (a CJK answer in DejaVu, an emoji in Helvetica) becomes a visible replacement mark, and
the copy then says so, so a reader never mistakes a gap for what the client wrote. The export
never fails because of what a client typed.

Right-to-left text (Hebrew, Arabic) is put in visual order line by line with fpdf2's own
Unicode bidi algorithm and right-aligned; if ``uharfbuzz`` is installed, fpdf2's full text
shaping is used instead (which also joins Arabic letters).
"""

from __future__ import annotations

import importlib.util
import logging
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from fpdf import FPDF
from fpdf.bidi import BidiParagraph, auto_detect_base_direction
from fpdf.enums import Align, MethodReturnValue, TextDirection, XPos, YPos
from fpdf.fonts import TTFFont

from intake.models import Intake
from intake.presenters import NOT_ANSWERED, answer_sections
from portal.formatting import format_when
from portal.models import PracticeSettings

FONT_DIRS: tuple[Path, ...] = (
    Path(__file__).resolve().parent / "fonts",
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu (fonts-dejavu-core)
    Path("/usr/share/fonts/dejavu-sans-fonts"),  # Fedora, RHEL
    Path("/usr/share/fonts/dejavu"),  # Alpine (font-dejavu)
    Path("/usr/share/fonts/TTF"),  # Arch (ttf-dejavu)
)
REGULAR_FONT = "DejaVuSans.ttf"
BOLD_FONT = "DejaVuSans-Bold.ttf"
FAMILY = "PortalSans"
CORE_FAMILY = "helvetica"
CORE_ENCODING = "windows-1252"
DISCLAIMER = "Scores describe symptoms; they are not a diagnosis."
REPLACED_NOTE = (
    "Some characters in these answers cannot be shown in this PDF and appear as {mark}. "
    "The answers themselves are stored exactly as written."
)
_ASCII_FALLBACK = "?"
_UNICODE_FALLBACK = "\ufffd"  # the replacement character
_INVISIBLE = frozenset({"Mn", "Me", "Cf"})  # combining marks, joiners, variation selectors
_SKIN_TONES = range(0x1F3FB, 0x1F400)  # emoji modifiers: part of the emoji before them
# Letters that Unicode does not decompose into a base letter and a mark.
_BASE_LETTERS = str.maketrans({
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0126": "H", "\u0127": "h",
    "\u0131": "i", "\u0166": "T", "\u0167": "t", "\u013f": "L", "\u0140": "l",
})  # L and l with stroke, D and d with stroke, H and h with stroke, dotless i, ...

# fontTools logs, at INFO, the names of the glyphs it keeps when subsetting the font: that
# is which characters a client typed, and must not reach the logs. fpdf2 warns about
# missing glyphs naming them (we replace those first, but keep its warnings out too).
logging.getLogger("fontTools").setLevel(logging.WARNING)
logging.getLogger("fpdf").setLevel(logging.ERROR)


@dataclass(frozen=True)
class FontFiles:
    regular: Path
    bold: Path | None


def find_unicode_font(dirs: Sequence[Path] = FONT_DIRS) -> FontFiles | None:
    """The first DejaVu Sans found in ``dirs`` (with its bold face when present), or None."""
    for directory in dirs:
        regular = directory / REGULAR_FONT
        if regular.is_file():
            bold = directory / BOLD_FONT
            return FontFiles(regular, bold if bold.is_file() else None)
    return None


@dataclass(frozen=True)
class Block:
    """One piece of the copy: its kind (how it looks) and its text."""

    kind: str  # title, subtitle, meta, notice, heading, label, answer, entry, item, note
    text: str
    indent: bool = False


def short_reference(intake: Intake) -> str:
    """The reference printed on the copy and in file names: 8 hex digits of the id."""
    return intake.id.hex[:8]


def intake_blocks(intake: Intake, practice_name: str) -> list[Block]:
    """Everything the copy says, in order (rendered by ``render_pdf``)."""
    version = intake.questionnaire
    questionnaire = version.questionnaire
    blocks = [
        Block("title", practice_name),
        Block("subtitle", f"{questionnaire.title} (version {version.version})"),
        Block("meta", f"Submitted on {format_when(intake.submitted_at)}"),
        Block("meta", f"Reference {short_reference(intake)}"),
        Block("notice", "Confidential: this copy holds health information. Please keep it "
                        "somewhere private."),
    ]
    for section in answer_sections(questionnaire, intake.answers):
        blocks.append(Block("heading", section.title))
        for row in section.rows:
            blocks.append(Block("label", row.label))
            if row.entries:
                for number, entry in enumerate(row.entries, start=1):
                    blocks.append(Block("entry", f"Entry {number}", indent=True))
                    blocks.extend(Block("item", f"{label}: {text}", indent=True)
                                  for label, text in entry)
            else:
                blocks.append(Block("answer", row.text if row.answered else NOT_ANSWERED))
    if questionnaire.instruments:
        blocks.append(Block("heading", "Scores"))
        scores = intake.scores or []
        for score in scores:
            blocks.append(Block("label", str(score.get("title", score.get("instrument", "")))))
            blocks.append(Block("answer", f"{score.get('total')} out of "
                                          f"{score.get('max_total')}: {score.get('band')}"))
        if not scores:
            blocks.append(Block("answer", "No scores were calculated."))
        blocks.append(Block("note", DISCLAIMER))
        blocks.append(Block("heading", "About these questionnaires"))
        for instrument in questionnaire.instruments:
            blocks.append(Block("label", instrument.title))
            blocks.append(Block("answer", instrument.attribution))
    return blocks


# --- Rendering --------------------------------------------------------------------------

_STYLES: dict[str, tuple[str, float, float, float]] = {
    # kind: (style, size in pt, line height in mm, space after in mm)
    "title": ("B", 16, 8, 1),
    "subtitle": ("", 12, 6, 2),
    "meta": ("", 10, 5, 0),
    "notice": ("", 9, 4.5, 4),
    "heading": ("B", 13, 7, 1),
    "label": ("B", 10, 5, 0),
    "answer": ("", 10, 5, 2.5),
    "entry": ("B", 9.5, 5, 0),
    "item": ("", 10, 5, 1),
    "note": ("", 9.5, 5, 3),
}


def _has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)


class CopyPDF(FPDF):
    """An A4 document with a footer naming the practice, the reference and the page."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.clean: Callable[[str], str] = str
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
        text = f"{self.clean(self.footer_text)} · page {self.page_no()} of {self.page_total}"
        self.cell(0, 5, text, align=Align.C)
        self.set_text_color(0)

    def paragraph(self, text: str, height: float) -> None:
        """Text in the current font across the page, wrapped; right-to-left lines put in
        visual order and right-aligned unless fpdf2's own shaping is on."""
        text = self.clean(text)
        if self.shaping or not _has_rtl(text):
            self.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            return
        for part in text.split("\n"):
            direction = auto_detect_base_direction(part)
            lines = cast(list[str], self.multi_cell(0, height, part, dry_run=True,
                                                    output=MethodReturnValue.LINES)) or [""]
            for line in lines:
                visual = BidiParagraph(line, base_direction=direction).get_reordered_string()
                self.cell(0, height, visual,
                          align=Align.R if direction == TextDirection.RTL else Align.L,
                          new_x=XPos.LMARGIN, new_y=YPos.NEXT)


class TextCleaner:
    """Makes text drawable in the chosen font and remembers whether anything was replaced."""

    def __init__(self, pdf: CopyPDF, unicode_font: bool) -> None:
        self.replaced = False
        if unicode_font:
            self.drawable: set[int] | None = set(cast(TTFFont, pdf.current_font).cmap)
            self.mark = (_UNICODE_FALLBACK if ord(_UNICODE_FALLBACK) in self.drawable
                         else _ASCII_FALLBACK)
        else:
            self.drawable = None
            self.mark = _ASCII_FALLBACK

    def _can_draw(self, char: str) -> bool:
        if self.drawable is not None:
            return ord(char) in self.drawable
        try:
            char.encode(CORE_ENCODING)
        except UnicodeEncodeError:
            return False
        return True

    def _substitute(self, char: str) -> str:
        if unicodedata.category(char) in _INVISIBLE or ord(char) in _SKIN_TONES:
            return ""
        if self.drawable is None:  # Helvetica: try the base letter (ő -> o) first
            base = "".join(part for part in unicodedata.normalize("NFKD",
                                                                  char.translate(_BASE_LETTERS))
                           if unicodedata.category(part) not in _INVISIBLE
                           and self._can_draw(part))
            if base:
                return base
        self.replaced = True
        return self.mark

    def __call__(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text).replace("\t", "    ").replace("\r", "")
        return "".join(
            char if char == "\n" or self._can_draw(char) else self._substitute(char)
            for char in text
        )


def new_copy_pdf(
    *, footer: str, title: str, author: str, subject: str, fonts: FontFiles | None,
    compress: bool = True,
) -> tuple[CopyPDF, TextCleaner]:
    """An A4 copy with the portal's margins, metadata, fonts (DejaVu, or Helvetica when
    ``fonts`` is None, with text shaping when ``uharfbuzz`` is installed) and a text cleaner
    that makes every string drawable. Shared by the intake and consent copies."""
    pdf = CopyPDF(footer)
    pdf.compress = compress
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_subject(subject)
    pdf.set_creator("Intake portal")
    pdf.set_lang("en")
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
    cleaner = TextCleaner(pdf, unicode_font=fonts is not None)
    pdf.clean = cleaner
    return pdf, cleaner


def render_pdf(
    blocks: Sequence[Block],
    *,
    title: str,
    author: str,
    footer: str,
    fonts: FontFiles | None,
    compress: bool = True,
) -> bytes:
    """Lay ``blocks`` out on A4 pages and return the PDF. ``fonts`` None means Helvetica."""
    pdf, cleaner = new_copy_pdf(footer=footer, title=title, author=author,
                                subject="Copy of a submitted intake questionnaire",
                                fonts=fonts, compress=compress)
    pdf.add_page()
    for block in blocks:
        style, size, height, after = _STYLES[block.kind]
        if block.kind == "heading":
            pdf.ln(3)
        pdf.use_font(style == "B", size)
        if block.indent:
            pdf.set_left_margin(pdf.l_margin + 6)
            pdf.set_x(pdf.l_margin)
        pdf.paragraph(block.text, height)
        if block.indent:
            pdf.set_left_margin(pdf.l_margin - 6)
            pdf.set_x(pdf.l_margin)
        pdf.ln(after)
    if cleaner.replaced:
        pdf.use_font(False, 9)
        pdf.ln(2)
        pdf.paragraph(REPLACED_NOTE.format(mark=cleaner.mark), 4.5)
    return bytes(pdf.output())


def intake_pdf(intake: Intake, *, fonts: FontFiles | bool | None = True,
               compress: bool = True) -> bytes:
    """The PDF copy of a submitted intake (decrypts it: the caller audits the export).

    ``fonts`` is found automatically (``True``); tests may pass ``None`` for the Helvetica
    fallback, or ``compress=False`` to read the page content. The metadata title names the
    questionnaire and the short reference, never the client. A draft raises ``ValueError``.
    """
    if not intake.is_submitted or intake.submitted_at is None:
        raise ValueError("Only a submitted intake has a PDF copy.")
    practice = PracticeSettings.load().name
    reference = short_reference(intake)
    title = intake.questionnaire.questionnaire.title
    return render_pdf(
        intake_blocks(intake, practice),
        title=f"{title}: intake {reference}",
        author=practice,
        footer=f"{practice} · intake {reference}",
        fonts=find_unicode_font() if fonts is True else fonts or None,
        compress=compress,
    )
