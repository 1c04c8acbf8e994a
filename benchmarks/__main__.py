"""``python -m benchmarks [--quick]``: run every benchmark on a throwaway database.

Defaults: ``PORTAL_ENV=test`` (the benchmark models live in the test-only ``cryptoapp`` app,
and test settings invent throwaway keys), ``DJANGO_SETTINGS_MODULE=portal.settings``. The
database is a temporary SQLite file, or a new PostgreSQL database beside the one
``DATABASE_URL`` names; either is migrated first and removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from benchmarks.common import BenchmarkError, say
from benchmarks.database import throwaway_database


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true",
        help="a tenth of the rows, for trying the harness (figures are not comparable)",
    )
    parser.add_argument(
        "--queue-only", action="store_true",
        help="only the task queue's throughput (benchmarks/queue.py), well under a minute",
    )
    parser.add_argument(
        "--fields-only", action="store_true",
        help="only the encrypted fields against plain, the floor and the peer (fields.py)",
    )
    parser.add_argument(
        "--caseload-only", action="store_true",
        help="only the caseload of scores (benchmarks/caseload.py), about a minute",
    )
    parser.add_argument(
        "--charts-only", action="store_true",
        help="only the trend chart's rendering (benchmarks/charts.py), seconds, no database",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    options = _arguments(argv)
    os.environ.setdefault("PORTAL_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if options.charts_only:
        return _charts_only(options)
    with throwaway_database(os.environ.get("DATABASE_URL") or None) as url:
        os.environ["DATABASE_URL"] = url
        import django
        from django.conf import settings
        from django.core.management import call_command

        django.setup()
        if "tests.cryptoapp" not in settings.INSTALLED_APPS:
            say("the benchmark models need the test app: run with PORTAL_ENV=test")
            return 2
        say("migrating the throwaway database")
        call_command("migrate", verbosity=0, interactive=False)

        from benchmarks.runner import FULL, QUICK, run, run_caseload, run_fields, run_queue

        sizes = QUICK if options.quick else FULL
        try:
            if options.queue_only:
                report = run_queue(sizes)
            elif options.fields_only:
                report = run_fields(sizes)
            elif options.caseload_only:
                report = run_caseload(sizes)
            else:
                report = run(sizes)
        except BenchmarkError as error:
            say(f"CORRECTNESS CHECK FAILED: {error}")
            return 1
    print(json.dumps(report))
    return 0


def _charts_only(options: argparse.Namespace) -> int:
    """The chart benchmark needs no database: Django set up, the partials rendered."""
    import django

    django.setup()
    from benchmarks.runner import FULL, QUICK, run_charts

    try:
        report = run_charts(QUICK if options.quick else FULL)
    except BenchmarkError as error:
        say(f"CORRECTNESS CHECK FAILED: {error}")
        return 1
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
