"""A PDF copy of a submitted intake, for the client and for their care team.

The words come from ``answer_sections`` (the one place stored answers become text), so the
PDF says exactly what the review page says. Building the copy decrypts the answers: the
views that serve it audit every download.

The page, the fonts and what happens to characters no font can draw are the platform's
(``portal.pdf``): this module says what the copy says and in which style. It is written in
the active language (the reader's: the client's own, or the staff member's), the
questionnaire's texts included; the answers are as the client typed them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop

from intake.models import Intake
from intake.presenters import answer_sections, not_answered
from portal.formatting import format_when
from portal.models import PracticeSettings
from portal.pdf import FontFiles, TextStyle, find_unicode_font, new_copy_pdf

# The English words, marked for translation; the copy says them through ``gettext``.
DISCLAIMER = gettext_noop("Scores describe symptoms; they are not a diagnosis.")
REPLACED_NOTE = gettext_noop(
    "Some characters in these answers cannot be shown in this PDF and appear as {mark}. "
    "The answers themselves are stored exactly as written."
)

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
        Block("subtitle", gettext("%(title)s (version %(version)s)") % {
            "title": questionnaire.title, "version": version.version}),
        Block("meta", gettext("Submitted on %(when)s") % {
            "when": format_when(intake.submitted_at)}),
        Block("meta", gettext("Reference %(reference)s") % {
            "reference": short_reference(intake)}),
        Block("notice", gettext("Confidential: this copy holds health information. Please "
                                "keep it somewhere private.")),
    ]
    if not questionnaire.is_written_in(questionnaire.language):
        blocks.append(Block("notice", gettext(
            "Some of these questions are only available in English, and are shown in "
            "English.")))
    for section in answer_sections(questionnaire, intake.answers):
        blocks.append(Block("heading", section.title))
        for row in section.rows:
            blocks.append(Block("label", row.label))
            if row.entries:
                for number, entry in enumerate(row.entries, start=1):
                    blocks.append(Block("entry", gettext("Entry %(number)s") % {
                        "number": number}, indent=True))
                    blocks.extend(Block("item", gettext("%(question)s: %(answer)s") % {
                        "question": label, "answer": text}, indent=True)
                        for label, text in entry)
            else:
                blocks.append(Block("answer", row.text if row.answered else not_answered()))
    if questionnaire.instruments:
        blocks.append(Block("heading", gettext("Scores")))
        scores = intake.scores or []
        instruments = {instrument.id: instrument for instrument in questionnaire.instruments}
        for score in scores:
            blocks.append(Block("label", str(score.get("title", score.get("instrument", "")))))
            instrument = instruments.get(str(score.get("instrument")))
            band = instrument.band_for(score["total"]) if instrument and isinstance(
                score.get("total"), int) else None
            blocks.append(Block("answer", gettext("%(total)s out of %(max_total)s: %(band)s") % {
                "total": score.get("total"), "max_total": score.get("max_total"),
                "band": band.label if band is not None else score.get("band")}))
        if not scores:
            blocks.append(Block("answer", gettext("No scores were calculated.")))
        blocks.append(Block("note", gettext(DISCLAIMER)))
        blocks.append(Block("heading", gettext("About these questionnaires")))
        for instrument in questionnaire.instruments:
            blocks.append(Block("label", instrument.title))
            blocks.append(Block("answer", instrument.attribution))
    return blocks


# --- Rendering --------------------------------------------------------------------------

_STYLES: dict[str, TextStyle] = {
    "title": TextStyle(bold=True, size=16, line_height=8, space_after=1),
    "subtitle": TextStyle(bold=False, size=12, line_height=6, space_after=2),
    "meta": TextStyle(bold=False, size=10, line_height=5, space_after=0),
    "notice": TextStyle(bold=False, size=9, line_height=4.5, space_after=4),
    "heading": TextStyle(bold=True, size=13, line_height=7, space_after=1, space_before=3),
    "label": TextStyle(bold=True, size=10, line_height=5, space_after=0),
    "answer": TextStyle(bold=False, size=10, line_height=5, space_after=2.5),
    "entry": TextStyle(bold=True, size=9.5, line_height=5, space_after=0),
    "item": TextStyle(bold=False, size=10, line_height=5, space_after=1),
    "note": TextStyle(bold=False, size=9.5, line_height=5, space_after=3),
}
_REPLACED_NOTE_STYLE = TextStyle(bold=False, size=9, line_height=4.5, space_after=0,
                                 space_before=2)
_INDENT = 6.0


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
    pdf = new_copy_pdf(footer=footer, title=title, author=author,
                       subject=gettext("Copy of a submitted intake questionnaire"),
                       fonts=fonts, compress=compress)
    pdf.add_page()
    for block in blocks:
        pdf.styled_paragraph(block.text, _STYLES[block.kind],
                             indent=_INDENT if block.indent else 0.0)
    return pdf.finish(gettext(REPLACED_NOTE), _REPLACED_NOTE_STYLE)


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
        title=gettext("%(title)s: intake %(reference)s") % {
            "title": title, "reference": reference},
        author=practice,
        footer=gettext("%(practice)s · intake %(reference)s") % {
            "practice": practice, "reference": reference},
        fonts=find_unicode_font() if fonts is True else fonts or None,
        compress=compress,
    )
