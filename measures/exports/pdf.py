"""The client's progress as a PDF: for each instrument, what the scores mean in plain,
kind words, a line chart of the series over the instrument's bands, and a table of every
point (date, score, band).

Written for the client: the words say which way is better ("Lower scores mean fewer
symptoms."), that a score is not a diagnosis, and nothing about other people. The chart is
drawn with the PDF library's own lines, rectangles and circles on the platform's page
(``portal.pdf``: fonts that print any name, the footer, text made drawable), so it needs no
image library and prints the same everywhere; the table says everything the chart shows,
for a reader who cannot see the chart.

Building the copy needs decrypted points (``measures.series.series``): the caller has
checked access and audits the download. The document information (title, subject, author)
names the kind of document and the practice, never the client or a score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext_lazy

from measures.exports.instrument_info import HIGHER_IS_BETTER, BandInfo, InstrumentInfo
from measures.series import SeriesPoint
from portal.formatting import format_day
from portal.pdf import CopyPDF, FontFiles, TextStyle, find_unicode_font, new_copy_pdf

# The copy's words, in English; each is translated where it is written into the copy
# (``gettext``), so the copy is in the language of the page that asked for it: the client's
# own (``portal.i18n``), since a client downloads their own progress.
TITLE = gettext_noop("Your progress on questionnaires")
SUBJECT = gettext_noop("Questionnaire scores over time")
NOT_A_DIAGNOSIS = gettext_noop("This is not a diagnosis.")
NO_POINTS = gettext_noop("There are no scores here yet.")
TALK_IT_THROUGH = gettext_noop("Scores often go up and down from one week to the next. Your "
                               "clinician can talk them through with you.")
REPLACED_NOTE = gettext_noop("Some characters cannot be shown in this PDF and appear as "
                             "{mark}.")
# What a score means, in the client's words, by instrument; then by direction.
MEANINGS = {
    "phq9": gettext_noop("Lower scores mean fewer symptoms."),
    "gad7": gettext_noop("Lower scores mean fewer symptoms."),
    "csi4": gettext_noop("Higher scores mean more satisfaction in your relationship."),
}
MEANING_BY_DIRECTION = {
    HIGHER_IS_BETTER: gettext_noop("Higher scores mean things are going better."),
}
LOWER_IS_BETTER = gettext_noop("Lower scores mean fewer symptoms.")

# One instrument and its points, oldest first (``measures.series.series``).
Trend = tuple[InstrumentInfo, Sequence[SeriesPoint]]


def meaning(instrument: InstrumentInfo) -> str:
    """Which way is better on ``instrument``, in one plain sentence, in the active language."""
    return gettext(MEANINGS.get(instrument.slug) or MEANING_BY_DIRECTION.get(
        instrument.direction, LOWER_IS_BETTER))


def score_words(point: SeriesPoint, instrument: InstrumentInfo) -> str:
    """A score as the table says it: ``17 out of 27``."""
    return gettext("%(total)s out of %(max_total)s") % {"total": point.total,
                                                         "max_total": instrument.max_total}


# --- Text -------------------------------------------------------------------------------

_STYLES: dict[str, TextStyle] = {
    "title": TextStyle(bold=True, size=16, line_height=8, space_after=1),
    "meta": TextStyle(bold=False, size=10, line_height=5, space_after=0),
    "notice": TextStyle(bold=False, size=9, line_height=4.5, space_after=2, space_before=2,
                        grey=70),
    "heading": TextStyle(bold=True, size=14, line_height=7, space_after=1.5),
    "meaning": TextStyle(bold=False, size=11, line_height=5.5, space_after=1),
    "note": TextStyle(bold=False, size=9.5, line_height=4.8, space_after=2),
    "label": TextStyle(bold=True, size=10, line_height=5, space_after=0),
    "answer": TextStyle(bold=False, size=9.5, line_height=4.8, space_after=2.5),
}
_REPLACED_NOTE_STYLE = TextStyle(bold=False, size=9, line_height=4.5, space_after=0,
                                 space_before=2)


def _cover(pdf: CopyPDF, practice_name: str, client_label: str, made_on: date) -> None:
    pdf.styled_paragraph(practice_name, _STYLES["title"])
    pdf.styled_paragraph(gettext("Prepared for %(name)s") % {"name": client_label},
                         _STYLES["meta"])
    pdf.styled_paragraph(gettext("Made on %(day)s") % {"day": format_day(made_on)},
                         _STYLES["meta"])
    pdf.styled_paragraph(gettext("Confidential: this copy holds health information. Please "
                                 "keep it somewhere private."), _STYLES["notice"])


def _introduction(pdf: CopyPDF, instrument: InstrumentInfo) -> None:
    pdf.styled_paragraph(gettext("Your progress: %(title)s") % {"title": instrument.title},
                         _STYLES["heading"])
    scores_run = gettext("Scores run from %(lowest)s to %(highest)s.") % {
        "lowest": instrument.min_total, "highest": instrument.max_total}
    pdf.styled_paragraph(f"{meaning(instrument)} {scores_run}", _STYLES["meaning"])
    pdf.styled_paragraph(f"{gettext(NOT_A_DIAGNOSIS)} {gettext(TALK_IT_THROUGH)}",
                         _STYLES["note"])


def _about(pdf: CopyPDF, instruments: Sequence[InstrumentInfo]) -> None:
    pdf.ln(4)
    pdf.styled_paragraph(gettext("About these questionnaires"), _STYLES["heading"])
    for instrument in instruments:
        pdf.styled_paragraph(instrument.title, _STYLES["label"])
        pdf.styled_paragraph(instrument.attribution, _STYLES["answer"])


# --- Chart ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Frame:
    """Where the chart's plotting area is on the page (mm) and the scores it spans."""

    left: float
    top: float
    width: float
    height: float
    lowest: int
    highest: int

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def y(self, score: float) -> float:
        span = max(self.highest - self.lowest, 1)
        clamped = min(max(score, self.lowest), self.highest)
        return self.bottom - (clamped - self.lowest) / span * self.height


CHART_HEIGHT = 62.0
_AXIS_ROOM = 12.0  # left of the chart, for the scores
_DATE_ROOM = 9.0  # under the chart, for the dates
_PAD = 4.0  # between the frame and the first and last points
_LIGHTEST, _DARKEST = 246, 200  # the greys of the bands


def _band_greys(bands: Sequence[BandInfo], direction: str) -> list[int]:
    """A grey per band, lightest where things are best: the lowest band of a scale where
    higher is worse, the highest where higher is better."""
    count = len(bands)
    steps = [round(_LIGHTEST - (_LIGHTEST - _DARKEST) * i / max(count - 1, 1))
             for i in range(count)]
    return steps[::-1] if direction == HIGHER_IS_BETTER else steps


def _draw_bands(pdf: CopyPDF, frame: _Frame, instrument: InstrumentInfo) -> None:
    """The bands as grey stripes with their names; whole-number bands meet half-way
    (PHQ-9 Minimal ends at 4.5, where Mild begins; CSI-4's cut-off falls at 13.5)."""
    bands = sorted(instrument.bands, key=lambda band: band.minimum)
    greys = _band_greys(bands, instrument.direction)
    pdf.use_font(False, 6.5)
    for index, band in enumerate(bands):
        low = band.minimum - 0.5 if index else frame.lowest
        high = band.maximum + 0.5 if index < len(bands) - 1 else frame.highest
        top, bottom = frame.y(high), frame.y(low)
        pdf.set_fill_color(greys[index])
        pdf.rect(frame.left, top, frame.width, bottom - top, style="F")
        if bottom - top >= 3.2:
            pdf.set_text_color(80)
            pdf.text(frame.left + 1.5, top + 2.6, pdf.clean(band.label))
    pdf.set_text_color(0)


def _draw_score_axis(pdf: CopyPDF, frame: _Frame, instrument: InstrumentInfo) -> None:
    """Scores at the edges of the scale and where each band begins."""
    ticks = sorted({frame.lowest, frame.highest,
                    *(band.minimum for band in instrument.bands
                      if frame.lowest < band.minimum < frame.highest)})
    pdf.use_font(False, 7)
    last_y: float | None = None
    for value in ticks:
        y = frame.y(value)
        if last_y is not None and abs(last_y - y) < 3:
            continue
        label = str(value)
        pdf.text(frame.left - 1.5 - pdf.get_string_width(label), y + 1, label)
        pdf.line(frame.left - 1, y, frame.left, y)
        last_y = y


def _x_positions(frame: _Frame, points: Sequence[SeriesPoint]) -> list[float]:
    """Each point's place along the time axis, in proportion to its date."""
    first, last = points[0].taken_at, points[-1].taken_at
    span = (last - first).total_seconds()
    usable = frame.width - 2 * _PAD
    if span <= 0:
        return [frame.left + frame.width / 2 for _ in points]
    return [frame.left + _PAD + (p.taken_at - first).total_seconds() / span * usable
            for p in points]


def _draw_dates(pdf: CopyPDF, frame: _Frame, points: Sequence[SeriesPoint],
                xs: Sequence[float]) -> None:
    """Dates under the chart: the last and the first, then as many evenly spread between
    as fit without overlapping."""
    pdf.use_font(False, 7)
    count = len(points)
    wanted = [count - 1, 0] + [round(i * (count - 1) / 6) for i in range(1, 6)]
    taken: list[tuple[float, float]] = []
    for index in dict.fromkeys(wanted):
        label = format_day(points[index].taken_at)
        width = pdf.get_string_width(label)
        start = min(max(xs[index] - width / 2, frame.left), frame.left + frame.width - width)
        if any(start < end + 2 and start + width + 2 > begin for begin, end in taken):
            continue
        taken.append((start, start + width))
        pdf.line(xs[index], frame.bottom, xs[index], frame.bottom + 1)
        pdf.text(start, frame.bottom + 4.5, label)


def _draw_chart(pdf: CopyPDF, instrument: InstrumentInfo,
                points: Sequence[SeriesPoint]) -> None:
    """The series as a line over the instrument's bands, dates along the bottom."""
    if pdf.will_page_break(CHART_HEIGHT + _DATE_ROOM + 4):
        pdf.add_page()
    frame = _Frame(left=pdf.l_margin + _AXIS_ROOM, top=pdf.get_y() + 2,
                   width=pdf.w - pdf.r_margin - pdf.l_margin - _AXIS_ROOM,
                   height=CHART_HEIGHT, lowest=instrument.min_total,
                   highest=instrument.max_total)
    _draw_bands(pdf, frame, instrument)
    pdf.set_draw_color(90)
    pdf.set_line_width(0.2)
    pdf.rect(frame.left, frame.top, frame.width, frame.height)
    _draw_score_axis(pdf, frame, instrument)
    xs = _x_positions(frame, points)
    _draw_dates(pdf, frame, points, xs)
    pdf.set_draw_color(40)
    pdf.set_line_width(0.35)
    line = [(x, frame.y(point.total)) for x, point in zip(xs, points, strict=True)]
    if len(line) > 1:
        pdf.polyline(line)
    pdf.set_fill_color(0)
    radius = 0.8 if len(points) <= 52 else 0.55
    for x, y in line:
        pdf.circle(x, y, radius, style="F")
    pdf.set_draw_color(0)
    pdf.set_line_width(0.2)
    pdf.set_y(frame.bottom + _DATE_ROOM)


# --- Table ------------------------------------------------------------------------------

_ROW = 6.0
_COLUMNS = ((pgettext_lazy("column of scores", "Date"), 0.18),  # and its share of the width
            (pgettext_lazy("column of scores", "Score"), 0.17),
            (pgettext_lazy("column of scores", "Band"), 0.65))


def _cell(pdf: CopyPDF, width: float, text: str, *, bold: bool = False,
          fill: bool = False) -> None:
    """One cell, its text made smaller (down to 7 pt) rather than cut if it is long."""
    text = pdf.clean(text)
    size = 9.5
    pdf.use_font(bold, size)
    while size > 7 and pdf.get_string_width(text) > width - 2:
        size -= 0.5
        pdf.use_font(bold, size)
    pdf.cell(width, _ROW, text, border="B", fill=fill)


def _table_header(pdf: CopyPDF, widths: Sequence[float]) -> None:
    pdf.set_fill_color(225)
    for (name, _share), width in zip(_COLUMNS, widths, strict=True):
        _cell(pdf, width, str(name), bold=True, fill=True)
    pdf.ln(_ROW)


def _draw_table(pdf: CopyPDF, instrument: InstrumentInfo,
                points: Sequence[SeriesPoint]) -> None:
    """Every point, oldest first; the header row again at the top of each new page."""
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    widths = [usable * share for _name, share in _COLUMNS]
    pdf.set_draw_color(170)
    if pdf.will_page_break(2 * _ROW):
        pdf.add_page()
    _table_header(pdf, widths)
    for point in points:
        if pdf.will_page_break(_ROW):
            pdf.add_page()
            _table_header(pdf, widths)
        for width, text in zip(widths, (format_day(point.taken_at),
                                        score_words(point, instrument), point.band),
                               strict=True):
            _cell(pdf, width, text)
        pdf.ln(_ROW)
    pdf.set_draw_color(0)


# --- The copy ---------------------------------------------------------------------------

def trend_pdf(trends: Sequence[Trend], *, practice_name: str, client_label: str,
              made_on: date | datetime | None = None, fonts: FontFiles | bool | None = True,
              compress: bool = True) -> bytes:
    """The client's progress copy: a page (or more) per instrument in ``trends``, each
    ``(instrument, points oldest first)``, then who made each questionnaire.

    Reads decrypted points: the caller has checked access and audits the download.
    ``client_label`` (the name the client goes by) is printed on the first page, never put
    in the document information. ``fonts`` is found automatically (``True``); tests may pass
    ``None`` for the Helvetica fallback, or ``compress=False`` to read the page content."""
    title = gettext(TITLE)
    pdf = new_copy_pdf(footer=f"{practice_name} · {title}", title=title,
                       author=practice_name, subject=gettext(SUBJECT),
                       fonts=find_unicode_font() if fonts is True else fonts or None,
                       compress=compress)
    pdf.add_page()
    _cover(pdf, practice_name, client_label, made_on or timezone.now())
    for number, (instrument, points) in enumerate(trends):
        if number:
            pdf.add_page()
        else:
            pdf.ln(3)
        _introduction(pdf, instrument)
        if not points:
            pdf.styled_paragraph(gettext(NO_POINTS), _STYLES["meaning"])
            continue
        _draw_chart(pdf, instrument, points)
        _draw_table(pdf, instrument, points)
    _about(pdf, [instrument for instrument, _ in trends])
    return pdf.finish(gettext(REPLACED_NOTE), _REPLACED_NOTE_STYLE)
