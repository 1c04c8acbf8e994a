"""A Scale knows its bands to the edge, and refuses to describe a scale that makes no sense:
a wrong rule or a gap between bands must never reach a clinician's screen."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from measures.scales import HIGHER_IS_BETTER, Point, Scale, ScaleBand, ScaleError, in_order
from tests.measures.instruments import CSI4, GAD7, PHQ9, START


@pytest.mark.parametrize(("scale", "total", "label"), [
    (PHQ9, 0, "Minimal"), (PHQ9, 4, "Minimal"), (PHQ9, 5, "Mild"),
    (PHQ9, 9, "Mild"), (PHQ9, 10, "Moderate"), (PHQ9, 14, "Moderate"),
    (PHQ9, 15, "Moderately severe"), (PHQ9, 19, "Moderately severe"),
    (PHQ9, 20, "Severe"), (PHQ9, 27, "Severe"),
    (GAD7, 4, "Minimal"), (GAD7, 5, "Mild"), (GAD7, 9, "Mild"), (GAD7, 10, "Moderate"),
    (GAD7, 14, "Moderate"), (GAD7, 15, "Severe"), (GAD7, 21, "Severe"),
    (CSI4, 0, "Below the cut-off"), (CSI4, 13, "Below the cut-off"),
    (CSI4, 14, "Above the cut-off"), (CSI4, 21, "Above the cut-off"),
])
def test_every_band_edge_falls_in_its_band(scale: Scale, total: int, label: str) -> None:
    assert scale.band_for(total).label == label


@pytest.mark.parametrize(("scale", "total"), [(PHQ9, -1), (PHQ9, 28), (GAD7, 22), (CSI4, 22)])
def test_a_total_outside_the_scale_has_no_band(scale: Scale, total: int) -> None:
    with pytest.raises(ScaleError, match="outside"):
        scale.band_for(total)


@pytest.mark.parametrize(("total", "clinical"), [(13, True), (14, False), (0, True), (21, False)])
def test_below_the_csi4_cut_off_is_the_clinical_side(total: int, clinical: bool) -> None:
    assert CSI4.on_clinical_side(total) is clinical


def test_a_higher_is_worse_cut_off_counts_the_line_itself_as_clinical() -> None:
    phq9 = replace(PHQ9, cutoff=10)
    assert [phq9.on_clinical_side(total) for total in (9, 10, 11)] == [False, True, True]
    assert PHQ9.on_clinical_side(27) is False  # no cut-off, no clinical side


BANDS = PHQ9.bands
BAD_SCALES: list[tuple[str, dict[str, object], str]] = [
    ("gap between bands", {"bands": (BANDS[0], ScaleBand(6, 27, "Rest"))}, "without gaps"),
    ("overlapping bands", {"bands": (BANDS[0], ScaleBand(4, 27, "Rest"))}, "without gaps"),
    ("bands stop short", {"bands": BANDS[:-1]}, "must end at 27"),
    ("bands start late", {"bands": BANDS[1:]}, "without gaps"),
    ("no bands", {"bands": ()}, "at least one band"),
    ("band upside down", {"bands": (ScaleBand(0, -1, "x"), *BANDS)}, "without gaps"),
    ("empty range", {"max_total": 0, "bands": (ScaleBand(0, 0, "x"),)}, "lowest total"),
    ("unknown direction", {"direction": "sideways"}, "direction"),
    ("slug unsafe in an id", {"slug": "phq 9\"><script>"}, "slug"),
    ("cut-off outside", {"cutoff": 28.0}, "cut-off"),
    ("cut-off at the bottom", {"cutoff": 0.0}, "cut-off"),
    ("no reliable change", {"reliable_change": 0}, "at least 1 point"),
    ("response of 100%", {"response_drop_percent": 100}, "response"),
    ("response of 0%", {"response_drop_percent": 0}, "response"),
    ("remission outside", {"remission_below": 28}, "remission"),
    ("response where higher is better",
     {"direction": HIGHER_IS_BETTER, "remission_below": None}, "higher total is worse"),
    ("remission where higher is better",
     {"direction": HIGHER_IS_BETTER, "response_drop_percent": None}, "higher total is worse"),
]


@pytest.mark.parametrize(("changes", "message"), [(c, m) for _, c, m in BAD_SCALES],
                         ids=[name for name, _, _ in BAD_SCALES])
def test_a_scale_that_makes_no_sense_is_refused(changes: dict[str, object],
                                                message: str) -> None:
    with pytest.raises(ScaleError, match=message):
        replace(PHQ9, **changes)  # type: ignore[arg-type]


def test_a_point_must_know_its_time_zone() -> None:
    with pytest.raises(ScaleError, match="timezone-aware"):
        Point(datetime(2026, 3, 3, 12, 0), 10, "Moderate")  # noqa: DTZ001


def test_points_are_put_oldest_first_keeping_ties_in_order() -> None:
    later, tie_a, tie_b = (Point(START.replace(day=10), 1), Point(START, 2), Point(START, 3))
    assert in_order([later, tie_a, tie_b]) == (tie_a, tie_b, later)
