"""``manage.py seed_scale``: the scale data set (issue 21): 10,000 clients and 1,000,000 audit
events by default, on the configured database, in minutes (``demo.scale`` says what is built
and which bulk paths it takes). Run again, it adds as many clients after those already there,
cared for by the same staff, and tops the trail up to ``--events``.

Refuses to run in production unless ``--allow-production`` is given: it writes thousands of
made-up clients, which belong only in a throwaway database (``python -m evidence.scale``
makes one and passes the flag, as its measurement runs the production settings).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.scale import seed_scale


class Command(BaseCommand):
    help = ("Build the scale data set (clients with profiles, care teams and intakes, and a "
            "long audit trail) on a throwaway database.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=10_000)
        parser.add_argument("--events", type=int, default=1_000_000,
                            help="audit events the trail holds at the end (at least)")
        parser.add_argument("--clinicians", type=int, default=20,
                            help="on the first run (later runs keep the staff there)")
        parser.add_argument("--admins", type=int, default=2,
                            help="on the first run (later runs keep the staff there)")
        parser.add_argument("--batch", type=int, default=500,
                            help="clients written per transaction")
        parser.add_argument("--password", default=None,
                            help="every account's password, hashed once and shared "
                                 "(default: unusable passwords)")
        parser.add_argument("--allow-production", action="store_true",
                            help="run under the production settings (a throwaway database "
                                 "only)")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION and not options["allow_production"]:
            raise CommandError("seed_scale refuses to run in production (PORTAL_ENV=production) "
                               "unless --allow-production is given: it writes thousands of "
                               "made-up clients. Use a throwaway database.")
        if options["clients"] < 2 or options["clinicians"] < 1 or options["admins"] < 1:
            raise CommandError("seed_scale needs at least 2 clients, 1 clinician and 1 admin.")
        if options["batch"] < 2:
            raise CommandError("--batch takes at least 2.")
        started = time.monotonic()

        def progress(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        report = seed_scale(clients=options["clients"], events=options["events"],
                            clinicians=options["clinicians"], admins=options["admins"],
                            batch=options["batch"], password=options["password"],
                            progress=progress)
        self.stdout.write(
            f"Seeded {report.clients:,} clients ({report.sent:,} intakes sent, "
            f"{report.drafts:,} drafts, {report.alerts:,} safety alerts), "
            f"{report.clinicians} new clinicians, {report.admins} new admins; the audit trail "
            f"holds {report.events:,} events. {time.monotonic() - started:.1f} s.")
        self.stdout.write("Passwords: " + ("one shared hash (--password)." if options["password"]
                                           else "unusable (none given)."))
