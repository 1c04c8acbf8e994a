"""The caseload benchmark measures the right thing: its checks pass (every client listed,
both instruments, a sparkline per cell), both sizes ask the database the same number of
questions, and its figures land in the JSON. No timing is asserted."""

from __future__ import annotations

import pytest

from benchmarks import caseload


@pytest.mark.django_db
def test_the_caseload_benchmark_lists_everyone_in_the_same_queries() -> None:
    results = caseload.run(clients=12, rounds=1)
    report = caseload.report(results)

    assert report["caseload_clients"] == 12 and report["caseload_baseline_clients"] == 10
    assert report["caseload_queries"] == report["caseload_baseline_queries"]
    assert {"caseload_ms", "caseload_baseline_ms", "caseload_ratio_vs_baseline"} <= set(report)
