"""A score drawn on its instrument's bands, for the staff intake page.

Pure geometry, no markup: the template draws an inline SVG from these numbers (the strict
CSP allows presentation attributes, not ``style``), so the picture is built from the same
bands the score was banded with (the questionnaire version the client answered). Each
possible total (``min_total`` to ``max_total``: 0 to 27 for the PHQ-9, 0 to 21 for the
CSI-4) is one equal cell on a horizontal bar; a band covers its totals' cells and the
marker stands in the middle of the client's total's cell. The SVG's accessible name says
the same as the scores table ("PHQ-9: 17 out of 27, Moderately severe"), which stays the
accessible equivalent of the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext

from intake.schema import Instrument

# The SVG's coordinate system; it scales to its container's width (``viewBox``).
VIEW_WIDTH = 240
VIEW_HEIGHT = 60
_BAR_START, _BAR_END = 6.0, VIEW_WIDTH - 6.0
# Keeps the total's label (three digits at most) inside the picture at either end.
_LABEL_MARGIN = 10.0
# Band colours run from the mildest band (0) to the most severe (4): CSS classes
# ``score-tone-0`` to ``score-tone-4``. The last band is always the most severe colour, so
# "Moderate" looks the same on PHQ-9 (five bands) and GAD-7 (four).
_TONES = 5


@dataclass(frozen=True)
class ScaleBand:
    label: str
    minimum: int
    maximum: int
    x: str
    width: str
    tone: int
    current: bool


@dataclass(frozen=True)
class ScaleTick:
    value: int
    x: str


@dataclass(frozen=True)
class ScoreScale:
    aria_label: str
    # The name of the band the total falls in, in the reader's language (a stored score
    # keeps its band in the definition's default language).
    band_label: str
    bands: tuple[ScaleBand, ...]
    ticks: tuple[ScaleTick, ...]
    marker_x: str
    marker_points: str  # the triangle above the bar, pointing at the total
    label_x: str
    total: int
    view_box: str = f"0 0 {VIEW_WIDTH} {VIEW_HEIGHT}"


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _tone(index: int, count: int) -> int:
    if count <= 1:
        return 0
    if index == count - 1:
        return _TONES - 1
    if count <= _TONES:
        return index
    return round(index * (_TONES - 1) / (count - 1))


def score_scale(instrument: Instrument, total: int, band_label: str) -> ScoreScale | None:
    """The picture of ``total`` on ``instrument``'s bands, or None when the numbers do not
    fit the scale (a total outside min..max, bands that leave the scale): better no picture
    than a wrong one, and the table still says it all. The band's name is the
    definition's, in the reader's language (``band_label`` as stored otherwise)."""
    min_total, max_total = instrument.min_total, instrument.max_total
    if not instrument.bands or not min_total <= total <= max_total:
        return None
    if any(b.minimum < min_total or b.maximum > max_total or b.minimum > b.maximum
           for b in instrument.bands):
        return None
    cell = (_BAR_END - _BAR_START) / (max_total - min_total + 1)

    def centre(value: int) -> float:
        return _BAR_START + (value - min_total + 0.5) * cell

    def edge(value: int) -> float:
        # Rounded once, so that a band ends exactly where the next begins (no hairline gap).
        return round(_BAR_START + (value - min_total) * cell, 2)

    count = len(instrument.bands)
    bands = tuple(
        ScaleBand(
            label=band.label, minimum=band.minimum, maximum=band.maximum,
            x=_number(edge(band.minimum)),
            width=_number(edge(band.maximum + 1) - edge(band.minimum)),
            tone=_tone(index, count),
            current=band.minimum <= total <= band.maximum,
        )
        for index, band in enumerate(instrument.bands)
    )
    tick_values = sorted({band.minimum for band in instrument.bands} | {max_total})
    ticks = tuple(ScaleTick(value, _number(centre(value))) for value in tick_values)
    marker = centre(total)
    label_x = min(max(marker, _LABEL_MARGIN), VIEW_WIDTH - _LABEL_MARGIN)
    current = instrument.band_for(total)
    band_label = current.label if current is not None else band_label
    return ScoreScale(
        aria_label=gettext("%(scale)s: %(total)s out of %(max_total)s, %(band)s") % {
            "scale": instrument.title, "total": total, "max_total": max_total,
            "band": band_label},
        band_label=band_label,
        bands=bands,
        ticks=ticks,
        marker_x=_number(marker),
        marker_points=" ".join(f"{_number(x)},{_number(y)}"
                               for x, y in ((marker - 5, 13), (marker + 5, 13), (marker, 21))),
        label_x=_number(label_x),
        total=total,
    )
