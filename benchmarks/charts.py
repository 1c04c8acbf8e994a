"""The trend chart (issue 18): what it costs to draw one client's two years of weekly scores.

One chart of ``points`` scores (104: two years, weekly) on a PHQ-9-shaped scale, drawn as a
page draws it: the geometry (``measures.charts.trend_chart`` and ``trend_table``, the change
rules ``measures.change.assess``) and the three partials rendered with Django's template
engine (chart, table, change). Beside it, in the same run and interleaved round by round so
a noisy moment hits both alike, the baseline: the same for a 4-score chart (a month of
weekly check-ins). The ratio says how the cost grows with the series; the milliseconds say
whether a caseload page of many sparklines or a trend page with several charts stays quick.
A sparkline of the same 104 scores is timed too (geometry and render), as the caseload
draws one per client.

No database: the chart is pure. Checks: the 104-point rendering holds 104 points and 104
table rows, and no ``style`` attribute or script (the CSP would block them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.template.loader import render_to_string

from benchmarks.common import check, median, say
from measures.change import assess
from measures.charts import sparkline, trend_chart, trend_table
from measures.scales import Point, Scale, ScaleBand

# Shaped like the PHQ-9 (the real scales come from the intake's definitions).
SCALE = Scale(
    slug="bench", title="Bench-9", min_total=0, max_total=27,
    bands=(ScaleBand(0, 4, "Minimal"), ScaleBand(5, 9, "Mild"), ScaleBand(10, 14, "Moderate"),
           ScaleBand(15, 19, "Moderately severe"), ScaleBand(20, 27, "Severe")),
    reliable_change=6, response_drop_percent=50, remission_below=5,
)
BASELINE_POINTS = 4
_START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


@dataclass(frozen=True)
class ChartResults:
    points: int
    rounds: int
    chart_seconds: list[float]
    baseline_seconds: list[float]
    sparkline_seconds: list[float]
    html_bytes: int

    @property
    def chart_ms(self) -> float:
        return 1000 * median(self.chart_seconds)

    @property
    def baseline_ms(self) -> float:
        return 1000 * median(self.baseline_seconds)

    @property
    def sparkline_ms(self) -> float:
        return 1000 * median(self.sparkline_seconds)


def weekly_points(count: int) -> list[Point]:
    """``count`` weekly scores wandering over the whole scale (every band visited)."""
    return [Point(_START + timedelta(weeks=index), total, SCALE.band_for(total).label)
            for index, total in ((i, (i * 5) % 28) for i in range(count))]


def render_trend(points: list[Point]) -> str:
    """What a trend page does for one instrument: geometry, rules, three partials."""
    return "".join((
        render_to_string("measures/_trend_chart.html", {"chart": trend_chart(SCALE, points)}),
        render_to_string("measures/_trend_table.html", {"table": trend_table(SCALE, points)}),
        render_to_string("measures/_change.html", {"change": assess(SCALE, points)}),
    ))


def render_sparkline(points: list[Point]) -> str:
    return render_to_string("measures/_sparkline.html",
                            {"sparkline": sparkline(SCALE, points)})


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def run(*, points: int, rounds: int) -> ChartResults:
    """Time ``rounds`` renderings of each, interleaved, after one untimed warm-up (template
    compilation and the first translation lookups are paid once per process)."""
    series, baseline = weekly_points(points), weekly_points(BASELINE_POINTS)
    html = render_trend(series)
    check(html.count("<circle") == points, lambda: f"expected {points} points in the chart")
    check(html.count('<th scope="row">') == points,
          lambda: f"expected {points} rows in the table")
    check("style=" not in html and "<script" not in html, "the chart must fit the CSP")
    render_trend(baseline)
    render_sparkline(series)
    say(f"charts: {rounds} rounds of a {points}-point and a {BASELINE_POINTS}-point chart")
    chart, small, spark = [], [], []
    for _ in range(rounds):
        chart.append(_timed(lambda: render_trend(series)))
        small.append(_timed(lambda: render_trend(baseline)))
        spark.append(_timed(lambda: render_sparkline(series)))
    results = ChartResults(points=points, rounds=rounds, chart_seconds=chart,
                           baseline_seconds=small, sparkline_seconds=spark,
                           html_bytes=len(html.encode()))
    say(f"charts: {points} points {results.chart_ms:.2f} ms, {BASELINE_POINTS} points "
        f"{results.baseline_ms:.2f} ms ({results.chart_ms / results.baseline_ms:.1f}x), "
        f"sparkline of {points} {results.sparkline_ms:.2f} ms; page part "
        f"{results.html_bytes / 1024:.0f} KiB")
    return results


def report(results: ChartResults) -> dict[str, float | int]:
    """The JSON keys of the chart benchmark."""
    return {
        "chart_points": results.points,
        "chart_rounds": results.rounds,
        "chart_render_ms": round(results.chart_ms, 3),
        "chart_baseline_points": BASELINE_POINTS,
        "chart_baseline_render_ms": round(results.baseline_ms, 3),
        "chart_ratio_vs_baseline": round(results.chart_ms / results.baseline_ms, 2),
        "chart_sparkline_render_ms": round(results.sparkline_ms, 3),
        "chart_html_bytes": results.html_bytes,
    }
