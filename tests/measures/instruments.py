"""The three instruments as the chart and the change rules see them, for the tests only.

Production code never names an instrument: the real scales are built from the intake's
definitions and the practice's settings. These follow the published scoring: PHQ-9 bands
0-4, 5-9, 10-14, 15-19, 20-27; GAD-7 0-4, 5-9, 10-14, 15-21; CSI-4 0-21 with its cut-off at
13.5 (below it suggests notable relationship distress)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from measures.scales import HIGHER_IS_BETTER, Point, Scale, ScaleBand

PHQ9 = Scale(
    slug="phq9", title="PHQ-9", min_total=0, max_total=27,
    bands=(ScaleBand(0, 4, "Minimal"), ScaleBand(5, 9, "Mild"), ScaleBand(10, 14, "Moderate"),
           ScaleBand(15, 19, "Moderately severe"), ScaleBand(20, 27, "Severe")),
    reliable_change=6, response_drop_percent=50, remission_below=5,
)
GAD7 = Scale(
    slug="gad7", title="GAD-7", min_total=0, max_total=21,
    bands=(ScaleBand(0, 4, "Minimal"), ScaleBand(5, 9, "Mild"), ScaleBand(10, 14, "Moderate"),
           ScaleBand(15, 21, "Severe")),
    reliable_change=4, remission_below=5,
)
CSI4 = Scale(
    slug="csi4", title="CSI-4", min_total=0, max_total=21,
    bands=(ScaleBand(0, 13, "Below the cut-off"), ScaleBand(14, 21, "Above the cut-off")),
    direction=HIGHER_IS_BETTER, cutoff=13.5,
    cutoff_label="suggests notable relationship distress",
)

# The tests' practice zone (tests/measures/conftest.py sets it); the first score at noon
# there, so a day is never in doubt.
PRACTICE_ZONE = "America/New_York"
START = datetime(2026, 3, 3, 12, 0, tzinfo=ZoneInfo(PRACTICE_ZONE))


def series(scale: Scale, *totals: int, every: timedelta = timedelta(weeks=1),
           start: datetime = START) -> list[Point]:
    """Points of ``scale`` with these totals, oldest first, ``every`` apart, each with its
    band's label."""
    return [Point(start + every * index, total, scale.band_for(total).label)
            for index, total in enumerate(totals)]
