"""The trend chart's geometry: every point inside the plot and inside its own band, bands
that cover the scale exactly, time running left to right with readable dates, and the odd
series (one score, one day, two years of weekly scores) drawn sensibly."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from itertools import pairwise

import pytest

from measures.charts import TrendChart, sparkline, trend_chart, trend_table
from measures.scales import Point, Scale
from tests.measures.instruments import CSI4, GAD7, PHQ9, START, series


def numbers(chart: TrendChart) -> dict[str, float]:
    return {name: float(getattr(chart, f"plot_{name}"))
            for name in ("left", "right", "top", "bottom")}


def two_years_weekly(scale: Scale = PHQ9) -> list[Point]:
    totals = [(index * 5) % (scale.max_total + 1) for index in range(104)]
    return series(scale, *totals)


@pytest.mark.parametrize("scale", [PHQ9, GAD7, CSI4], ids=lambda s: s.slug)
def test_the_bands_cover_the_plot_from_bottom_to_top_without_gap(scale: Scale) -> None:
    chart = trend_chart(scale, series(scale, 3, 12))
    assert chart is not None
    plot = numbers(chart)
    bands = chart.bands
    assert float(bands[0].y) + float(bands[0].height) == pytest.approx(plot["bottom"], abs=0.01)
    assert float(bands[-1].y) == pytest.approx(plot["top"], abs=0.01)
    for lower, upper in pairwise(bands):
        assert float(upper.y) + float(upper.height) == pytest.approx(float(lower.y), abs=0.01)
    assert [(b.minimum, b.maximum, b.label) for b in bands] == [
        (b.minimum, b.maximum, b.label) for b in scale.bands]


@pytest.mark.parametrize("scale", [PHQ9, GAD7, CSI4], ids=lambda s: s.slug)
def test_every_possible_total_sits_inside_its_own_band(scale: Scale) -> None:
    # Band edges included: a 4 is drawn in Minimal and a 5 in Mild, never on the line.
    totals = list(range(scale.min_total, scale.max_total + 1))
    chart = trend_chart(scale, series(scale, *totals))
    assert chart is not None
    bands = {band.label: band for band in chart.bands}
    for point in chart.points:
        band = bands[point.band]
        assert float(band.y) < float(point.y) < float(band.y) + float(band.height), point


def test_points_stay_inside_the_plot_and_higher_totals_are_higher_up() -> None:
    chart = trend_chart(PHQ9, series(PHQ9, 0, 27, 13))
    assert chart is not None
    plot = numbers(chart)
    for point in chart.points:
        assert plot["left"] < float(point.x) < plot["right"]
        assert plot["top"] < float(point.y) < plot["bottom"]
    lowest, highest, middle = (float(p.y) for p in chart.points)
    assert highest < middle < lowest  # SVG's y grows downwards


def test_time_runs_left_to_right_in_proportion() -> None:
    points = [Point(START + timedelta(weeks=weeks), 10, "Moderate") for weeks in (0, 1, 3)]
    chart = trend_chart(PHQ9, reversed(points))
    assert chart is not None
    xs = [float(point.x) for point in chart.points]
    assert xs == sorted(xs)
    assert xs[2] - xs[1] == pytest.approx(2 * (xs[1] - xs[0]), abs=0.02)
    assert chart.latest == chart.points[-1] and chart.latest.latest
    assert [p.latest for p in chart.points] == [False, False, True]
    assert chart.polyline == " ".join(f"{p.x},{p.y}" for p in chart.points)


def test_dates_under_the_axis_are_few_ascending_and_distinct() -> None:
    chart = trend_chart(PHQ9, series(PHQ9, 16, 12, 7, every=timedelta(weeks=6)))
    assert chart is not None
    assert [d.text for d in chart.dates] == [
        "3 Mar 2026", "24 Mar 2026", "14 Apr 2026", "5 May 2026", "26 May 2026"]
    xs = [float(d.x) for d in chart.dates]
    assert xs == sorted(xs) and [d.iso for d in chart.dates] == sorted(d.iso for d in chart.dates)
    assert [d.anchor for d in chart.dates] == ["start", "middle", "middle", "middle", "end"]
    assert xs[0] == float(chart.points[0].x) and xs[-1] == float(chart.points[-1].x)


def test_a_narrow_chart_names_fewer_dates() -> None:
    chart = trend_chart(PHQ9, series(PHQ9, 16, 12, 7, every=timedelta(weeks=6)), width=300)
    assert chart is not None
    assert [d.text for d in chart.dates] == ["3 Mar 2026", "26 May 2026"]


def test_a_short_span_never_repeats_a_date() -> None:
    chart = trend_chart(PHQ9, series(PHQ9, 16, 12, every=timedelta(days=1)))
    assert chart is not None
    texts = [d.text for d in chart.dates]
    assert texts[0] == "3 Mar 2026" and texts[-1] == "4 Mar 2026"
    assert len(texts) == len(set(texts))


def test_two_years_of_weekly_scores_draw_with_months_on_the_axis() -> None:
    points = two_years_weekly()
    chart = trend_chart(PHQ9, points)
    assert chart is not None
    assert len(chart.points) == 104 and len(chart.polyline.split()) == 104
    texts = [d.text for d in chart.dates]
    assert texts[0] == "Mar 2026" and texts[-1] == "Feb 2028"
    assert 2 <= len(texts) <= 5 and len(texts) == len(set(texts))
    xs = [float(point.x) for point in chart.points]
    assert all(a < b for a, b in pairwise(xs))
    assert chart.description.endswith("104 scores (lowest 0, highest 27).")


def test_scores_all_on_one_day_are_spread_by_their_order() -> None:
    points = series(PHQ9, 5, 10, 15, every=timedelta(minutes=20))
    chart = trend_chart(PHQ9, points)
    assert chart is not None
    xs = [float(point.x) for point in chart.points]
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1]) and xs[0] < xs[1]
    assert [d.text for d in chart.dates] == ["3 Mar 2026"]


def test_one_score_is_a_single_dot_in_the_middle() -> None:
    chart = trend_chart(PHQ9, series(PHQ9, 16))
    assert chart is not None
    plot = numbers(chart)
    (point,) = chart.points
    assert float(point.x) == pytest.approx((plot["left"] + plot["right"]) / 2)
    assert [d.text for d in chart.dates] == ["3 Mar 2026"]
    assert chart.description == "PHQ-9: one score, 16 on 3 Mar 2026 (Moderately severe)."


def test_no_scores_or_a_score_off_the_scale_draw_no_chart() -> None:
    assert trend_chart(PHQ9, []) is None
    assert trend_chart(GAD7, [Point(START, 25, "?")]) is None
    assert sparkline(PHQ9, []) is None
    assert sparkline(GAD7, [Point(START, -1, "?")]) is None
    # The table still lists what was recorded.
    table = trend_table(GAD7, [Point(START, 25, "?")])
    assert table is not None and table.rows[0].total == 25


def test_title_and_description_say_what_the_chart_shows() -> None:
    chart = trend_chart(PHQ9, series(PHQ9, 16, 5, 7, every=timedelta(weeks=6)))
    assert chart is not None
    assert chart.title == "PHQ-9 scores over time"
    assert chart.description == ("PHQ-9 from 16 on 3 Mar 2026 to 7 on 26 May 2026, "
                                 "3 scores (lowest 5, highest 16).")
    assert chart.dom_id == "trend-phq9"
    assert trend_chart(PHQ9, series(PHQ9, 1), dom_id="trend-2").dom_id == "trend-2"  # type: ignore[union-attr]


def test_the_axis_names_each_bands_lowest_score_and_the_top() -> None:
    chart = trend_chart(PHQ9, series(PHQ9, 1))
    assert chart is not None
    assert [tick.value for tick in chart.ticks] == [0, 5, 10, 15, 20, 27]
    ys = [float(tick.y) for tick in chart.ticks]
    assert ys == sorted(ys, reverse=True)


def test_band_colours_run_from_mild_to_severe_whichever_way_is_worse() -> None:
    phq9, gad7, csi4 = (trend_chart(s, series(s, 1)) for s in (PHQ9, GAD7, CSI4))
    assert phq9 is not None and gad7 is not None and csi4 is not None
    assert [b.tone for b in phq9.bands] == [0, 1, 2, 3, 4]
    assert [b.tone for b in gad7.bands] == [0, 1, 2, 4]
    # On the CSI-4 a higher score is better: the low band is the worrying one.
    assert [b.tone for b in csi4.bands] == [4, 0]


def test_the_csi4_cut_off_is_drawn_between_13_and_14() -> None:
    chart = trend_chart(CSI4, series(CSI4, 10, 15))
    assert chart is not None and chart.cutoff is not None
    assert chart.cutoff.label == "Cut-off 13.5"
    below_band = chart.bands[0]
    assert float(chart.cutoff.y) == pytest.approx(float(below_band.y), abs=0.01)
    assert "Cut-off line at 13.5." in chart.description
    assert trend_chart(PHQ9, series(PHQ9, 1)).cutoff is None  # type: ignore[union-attr]


def test_the_sparkline_fits_its_box_and_marks_the_latest_score() -> None:
    line = sparkline(PHQ9, two_years_weekly())
    assert line is not None
    coordinates = [tuple(map(float, pair.split(","))) for pair in line.polyline.split()]
    assert len(coordinates) == 104 and line.view_box == "0 0 100 24"
    assert all(0 <= x <= 100 and 0 <= y <= 24 for x, y in coordinates)
    assert (float(line.latest_x), float(line.latest_y)) == coordinates[-1]
    assert line.aria_label.startswith("PHQ-9, 104 scores: 0 on 3 Mar 2026 to ")
    assert line.cutoff_y is None


def test_the_csi4_sparkline_shows_its_cut_off_and_one_score_says_one() -> None:
    line = sparkline(CSI4, series(CSI4, 15))
    assert line is not None and line.cutoff_y is not None
    assert line.aria_label == "CSI-4: one score, 15 (Above the cut-off) on 3 Mar 2026"
    assert float(line.latest_y) < float(line.cutoff_y)  # above the line


def test_the_table_lists_every_score_with_its_change_from_the_first() -> None:
    table = trend_table(PHQ9, reversed(series(PHQ9, 16, 19, 16, 7)))
    assert table is not None
    assert table.caption == "PHQ-9 scores, oldest first"
    assert [(r.total, r.band, r.change) for r in table.rows] == [
        (16, "Moderately severe", "First score"), (19, "Moderately severe", "Up 3"),
        (16, "Moderately severe", "No change"), (7, "Mild", "Down 9")]
    assert trend_table(PHQ9, []) is None


def test_a_practice_rule_does_not_change_the_picture() -> None:
    points = series(PHQ9, 16, 7)
    assert trend_chart(replace(PHQ9, reliable_change=3), points) == trend_chart(PHQ9, points)
