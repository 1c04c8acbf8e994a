"""The chart benchmark measures the right thing: a 104-point chart really draws 104 points
and rows (its own checks pass), and its figures land in the JSON. No timing is asserted."""

from __future__ import annotations

from benchmarks import charts


def test_the_chart_benchmark_draws_two_years_and_reports_its_figures() -> None:
    results = charts.run(points=104, rounds=1)
    report = charts.report(results)
    assert report["chart_points"] == 104 and report["chart_baseline_points"] == 4
    assert {"chart_render_ms", "chart_baseline_render_ms", "chart_ratio_vs_baseline",
            "chart_sparkline_render_ms"} <= set(report)
    assert all(len(samples) == 1 for samples in (
        results.chart_seconds, results.baseline_seconds, results.sparkline_seconds))
