"""CI's translation check: extract every string from the code, then fail on any that has no
translation, is fuzzy, or loses a placeholder, in every language the portal offers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from portal.i18n.catalogs import DOMAINS, LOCALE_DIR, problems_of

SHOWN = 15


class Command(BaseCommand):
    help = "Run makemessages for every language, then fail on untranslated or fuzzy entries."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-extract", action="store_true",
                            help="Check the catalogs as they are, without makemessages.")

    def handle(self, *args: Any, **options: Any) -> None:
        languages = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        if not options["no_extract"]:
            for domain in DOMAINS:
                extra = {"extensions": ["js"]} if domain == "djangojs" else {}
                call_command("makemessages", locale=languages, domain=domain,
                             no_obsolete=True, verbosity=0, **extra)
        failures = 0
        for code in languages:
            for domain in DOMAINS:
                path = LOCALE_DIR / code / "LC_MESSAGES" / f"{domain}.po"
                if not path.exists():  # makemessages writes none where there is no string
                    continue
                found = problems_of(path)
                for label, entries in (("without a translation", found.untranslated),
                                       ("marked fuzzy", found.fuzzy),
                                       ("with different placeholders", found.placeholders)):
                    if entries:
                        failures += len(entries)
                        self.stderr.write(f"{path.relative_to(LOCALE_DIR.parent)}: "
                                          f"{len(entries)} {label}:")
                        for msgid in entries[:SHOWN]:
                            self.stderr.write(f"  {msgid[:100]!r}")
        if failures:
            raise CommandError(f"{failures} strings need a translator.")
        self.stdout.write(f"Every string is translated into {', '.join(languages)}.")
