"""What the trend chart and the change rules need to know about an instrument, and the
points of a client's series: small frozen values, built by the caller.

A ``Scale`` is the drawing-and-rules view of an instrument (PHQ-9, GAD-7, CSI-4): its range,
its bands, which way is worse, an optional cut-off, and the change rules the practice uses
with it. Nothing here knows a particular instrument: the caller builds the ``Scale`` from the
instrument's definition (the intake's, through ``intake.api``) and the practice's settings
(the reliable-change thresholds are practice-configurable, so the same instrument may come
with a different ``reliable_change``). A scale that does not make sense (bands that leave a
gap, a cut-off outside the range, a "response" on a scale where lower is worse) is refused
when built, with a ``ScaleError`` that says what is wrong: a wrong rule must never reach a
clinician's screen.

A ``Point`` is one scored response as the chart sees it: when, the total, the band's label.
It carries no name and no id, so a chart or a rule can never leak whose it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils.formats import number_format

HIGHER_IS_WORSE = "higher_is_worse"
HIGHER_IS_BETTER = "higher_is_better"
DIRECTIONS = (HIGHER_IS_WORSE, HIGHER_IS_BETTER)

# A slug becomes part of an element id in the page (``trend-phq9-title``): letters, digits,
# dashes and underscores only.
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class ScaleError(ValueError):
    """A scale that cannot be drawn or judged as described (a band gap, a cut-off outside
    the range, a threshold that is not positive...)."""


@dataclass(frozen=True)
class ScaleBand:
    """A band of totals, both ends included: ``ScaleBand(5, 9, "Mild")``. ``lang`` is the
    language of ``label`` when it is not the reader's (an instrument with no official
    translation into it: the CSI-4's English to a Spanish reader), for the page to mark;
    "" when it is theirs."""

    minimum: int
    maximum: int
    label: str
    lang: str = ""


@dataclass(frozen=True)
class Scale:
    """An instrument as the chart and the change rules see it.

    ``bands`` run from the lowest totals to the highest and cover ``min_total`` to
    ``max_total`` exactly once. ``direction`` says which way is worse: for the PHQ-9 a
    higher total is worse, for the CSI-4 (relationship satisfaction) a higher one is better,
    so "improvement" is a fall on the first and a rise on the second.

    The rules are optional; a scale has only those its instrument uses:

    - ``reliable_change``: a change from the first score of at least this many points is
      reliable improvement or reliable deterioration (PHQ-9 6, GAD-7 4 by default).
    - ``response_drop_percent``: the latest score at least this many percent below the
      first (PHQ-9: 50). Only on a scale where higher is worse.
    - ``remission_below``: the latest score below this, having started at or above it
      (PHQ-9 and GAD-7: 5). Only on a scale where higher is worse.
    - ``cutoff``: a line on the chart and a status under it (CSI-4: 13.5; below it
      suggests notable relationship distress). ``cutoff_label`` says, in words for staff,
      what the clinical side of the line means ("suggests notable relationship distress");
      the clinical side is below the line when higher is better, at or above it otherwise.
    """

    slug: str
    title: str
    min_total: int
    max_total: int
    bands: tuple[ScaleBand, ...]
    direction: str = HIGHER_IS_WORSE
    cutoff: float | None = None
    cutoff_label: str = ""
    reliable_change: int | None = None
    response_drop_percent: int | None = None
    remission_below: int | None = None

    def __post_init__(self) -> None:
        if not _SLUG.match(self.slug):
            raise ScaleError(f"A scale's slug must be lower-case letters, digits, '-' or '_': "
                             f"{self.slug!r}.")
        if self.direction not in DIRECTIONS:
            raise ScaleError(f"{self.title}: direction must be one of {', '.join(DIRECTIONS)}.")
        if self.min_total >= self.max_total:
            raise ScaleError(f"{self.title}: the lowest total must be below the highest.")
        self._check_bands()
        self._check_rules()

    def _check_bands(self) -> None:
        if not self.bands:
            raise ScaleError(f"{self.title}: a scale needs at least one band.")
        expected = self.min_total
        for band in self.bands:
            if band.minimum != expected or band.maximum < band.minimum:
                raise ScaleError(
                    f"{self.title}: the bands must cover {self.min_total} to {self.max_total} "
                    f"in order, without gaps or overlaps (the band {band.label!r} starts at "
                    f"{band.minimum}, expected {expected}).")
            expected = band.maximum + 1
        if expected != self.max_total + 1:
            raise ScaleError(f"{self.title}: the last band must end at {self.max_total}.")

    def _check_rules(self) -> None:
        if self.cutoff is not None and not self.min_total < self.cutoff <= self.max_total:
            raise ScaleError(f"{self.title}: the cut-off must lie inside the scale's range.")
        if self.reliable_change is not None and self.reliable_change < 1:
            raise ScaleError(f"{self.title}: a reliable change is at least 1 point.")
        if self.response_drop_percent is not None and not 0 < self.response_drop_percent < 100:
            raise ScaleError(f"{self.title}: a response is a drop between 1% and 99%.")
        if self.remission_below is not None and not (
                self.min_total < self.remission_below <= self.max_total):
            raise ScaleError(f"{self.title}: the remission threshold must lie inside the range.")
        if self.higher_is_better and (self.response_drop_percent is not None
                                      or self.remission_below is not None):
            # Response and remission are falls in a symptom score; on a scale where higher
            # is better they would reward getting worse.
            raise ScaleError(f"{self.title}: response and remission rules need a scale where "
                             f"a higher total is worse.")

    @property
    def higher_is_better(self) -> bool:
        return self.direction == HIGHER_IS_BETTER

    def band_for(self, total: int) -> ScaleBand:
        """The band ``total`` falls in; ``ScaleError`` outside the scale's range."""
        for band in self.bands:
            if band.minimum <= total <= band.maximum:
                return band
        raise ScaleError(f"{self.title}: {total} is outside {self.min_total} to "
                         f"{self.max_total}.")

    def band_label(self, total: int, recorded: str = "") -> str:
        """The name of the band ``total`` falls in, in the scale's words (the reader's
        language, where a stored score keeps its band in the default language:
        ``intake.scoring``); ``recorded`` for a total outside the scale."""
        return self.band_for(total).label if self.contains(total) else recorded

    def band_lang(self, total: int) -> str:
        """The language to mark on ``band_label(total)``: its band's ``lang``."""
        return self.band_for(total).lang if self.contains(total) else ""

    def contains(self, total: int) -> bool:
        return self.min_total <= total <= self.max_total

    def on_clinical_side(self, total: int) -> bool:
        """Whether ``total`` is on the cut-off's clinical side: below it when higher is
        better (CSI-4 under 13.5), at or above it when higher is worse. False without a
        cut-off."""
        if self.cutoff is None:
            return False
        return total < self.cutoff if self.higher_is_better else total >= self.cutoff


@dataclass(frozen=True)
class Point:
    """One score of a series: when it was taken (an aware datetime), the total and the
    label of its band, as the response recorded them."""

    taken_at: datetime
    total: int
    band: str = field(default="")

    def __post_init__(self) -> None:
        if self.taken_at.tzinfo is None or self.taken_at.utcoffset() is None:
            raise ScaleError("A point's time must be timezone-aware.")


def in_order(points: Iterable[Point]) -> tuple[Point, ...]:
    """The points oldest first (a stable sort: two scores at the same moment keep the
    caller's order). The first is the baseline every change is measured from."""
    return tuple(sorted(points, key=lambda point: point.taken_at))


def plain_number(value: float) -> str:
    """A number as people write it: ``13.5``, ``10`` (never ``10.0``), ``2.25``. The same
    in every language, so it also places things (SVG coordinates); a number a person
    reads in a sentence goes through ``spoken_number``."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def spoken_number(value: float) -> str:
    """``plain_number`` as the active language writes it: ``13.5`` in English, ``13,5`` in
    Spanish (Django's localisation of a decimal)."""
    return number_format(Decimal(plain_number(value)))
