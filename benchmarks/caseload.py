"""The caseload of scores (issue 18): what a clinician's list of 200 clients costs, each with
half a year of fortnightly PHQ-9 and GAD-7 scores, against a caseload of 10 in the same run.

Timed, as the page does it and interleaved round by round: the selector
(``measures.caseload.caseload``: the clients, their baseline and latest points with one key
fetch, the flags and schedules, every cell's change and sparkline) and the page's template.
The ratio says how the cost grows with the caseload (the work is per client: about 20x is
linear); the query count, the same for both, says the database is asked the same few
questions however long the list (the tests assert it, in
``tests/measures/test_staff_pages.py``). Audit events are written by the view, not here.

Checks: every client is listed with a cell per instrument, in both sizes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.common import check, median, say
from demo.measure_stories import items_for
from intake.api import current_instrument
from measures.caseload import Caseload, caseload
from measures.models import CheckIn, CheckInState
from measures.responses import response_record
from portal.crypto.datakeys import key_scope
from portal.models import CareAssignment, User
from portal.roles import Role, grant_role

POINTS_PER_SERIES = 13  # half a year, fortnightly
BASELINE_CLIENTS = 10


@dataclass(frozen=True)
class CaseloadResults:
    clients: int
    rounds: int
    seconds: list[float]
    baseline_seconds: list[float]
    queries: int
    baseline_queries: int

    @property
    def ms(self) -> float:
        return 1000 * median(self.seconds)

    @property
    def baseline_ms(self) -> float:
        return 1000 * median(self.baseline_seconds)


def _clinician_with(clients: int, label: str) -> User:
    """A clinician and ``clients`` clients of theirs, each with two series of
    ``POINTS_PER_SERIES`` check-in points (stored the way a check-in stores them)."""
    clinician = User.objects.create_user(f"bench.{label}@example.org", None)
    grant_role(clinician, Role.CLINICIAN)
    definitions = {slug: current_instrument(slug) for slug in ("phq9", "gad7")}
    start = timezone.now() - timedelta(weeks=2 * POINTS_PER_SERIES)
    for number in range(clients):
        client = User.objects.create_user(f"bench.{label}.{number}@example.org", None)
        grant_role(client, Role.CLIENT)
        CareAssignment.objects.create(client=client, clinician=clinician)
        with key_scope():
            for point in range(POINTS_PER_SERIES):
                taken = start + timedelta(weeks=2 * point)
                check_in = CheckIn.objects.create(
                    client=client, instruments=["phq9", "gad7"], due_at=taken,
                    expires_at=taken + timedelta(days=5), state=CheckInState.COMPLETED,
                    completed_at=taken)
                for slug, total in (("phq9", 18 - point), ("gad7", 15 - point)):
                    response_record(client=client, case=None, instrument=definitions[slug],
                                    items=items_for(slug, max(total, 0)), check_in=check_in,
                                    taken_at=taken)
    return clinician


def _page(clinician: User) -> tuple[Caseload, str]:
    request = RequestFactory().get("/staff/measures/")
    request.user = clinician
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    with key_scope():  # as the request's middleware gives it
        listed = caseload(clinician)
        html = render_to_string("measures/staff/caseload.html",
                                {"caseload": listed, "sort": "attention", "sorts": {}},
                                request=request)
    return listed, html


def _timed(clinician: User) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        _page(clinician)
        seconds = time.perf_counter() - start
    return seconds, len(queries)


def run(*, clients: int, rounds: int) -> CaseloadResults:
    say(f"caseload: {clients} and {BASELINE_CLIENTS} clients, two series of "
        f"{POINTS_PER_SERIES} points each")
    large, small = _clinician_with(clients, "large"), _clinician_with(BASELINE_CLIENTS, "small")
    for clinician, count in ((large, clients), (small, BASELINE_CLIENTS)):
        listed, html = _page(clinician)  # warm-up, and the checks
        check(len(listed.rows) == count, f"expected {count} rows")
        check(all(cell is not None for row in listed.rows for cell in row.cells),
              "every client has both instruments")
        check(html.count('class="sparkline"') == 2 * count, "a sparkline per cell")
    seconds, baseline, queries, baseline_queries = [], [], 0, 0
    for _ in range(rounds):
        took, queries = _timed(large)
        seconds.append(took)
        took, baseline_queries = _timed(small)
        baseline.append(took)
    results = CaseloadResults(clients, rounds, seconds, baseline, queries, baseline_queries)
    say(f"caseload: {clients} clients {results.ms:.0f} ms ({queries} queries), "
        f"{BASELINE_CLIENTS} clients {results.baseline_ms:.0f} ms ({baseline_queries} "
        f"queries): {results.ms / results.baseline_ms:.1f}x")
    return results


def report(results: CaseloadResults) -> dict[str, float | int]:
    """The JSON keys of the caseload benchmark."""
    return {
        "caseload_clients": results.clients,
        "caseload_points_per_series": POINTS_PER_SERIES,
        "caseload_rounds": results.rounds,
        "caseload_ms": round(results.ms, 2),
        "caseload_queries": results.queries,
        "caseload_baseline_clients": BASELINE_CLIENTS,
        "caseload_baseline_ms": round(results.baseline_ms, 2),
        "caseload_baseline_queries": results.baseline_queries,
        "caseload_ratio_vs_baseline": round(results.ms / results.baseline_ms, 2),
    }
