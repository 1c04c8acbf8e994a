"""``compilemessages`` without GNU gettext: polib writes each ``.mo`` (portal.i18n.catalogs)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal.i18n.catalogs import LOCALE_DIR, compile_catalogs


class Command(BaseCommand):
    help = "Compile every catalog in locale/ to its .mo file (no gettext tools needed)."

    def handle(self, *args: Any, **options: Any) -> None:
        for path in compile_catalogs(force=True):
            self.stdout.write(f"compiled {path.relative_to(LOCALE_DIR.parent)}")
