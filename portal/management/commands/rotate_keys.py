"""``manage.py rotate_keys [--reencrypt] [--dry-run]``: move data onto the active master key.

Run it after adding a new master key to ``PORTAL_MASTER_KEYS`` and making it
``PORTAL_ACTIVE_MASTER_KEY_ID`` (docs/key-management.md has the runbook).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portal.crypto.rotation import reencrypt_owners, rewrap_data_keys


class ProgressBar:
    """A small text progress bar: redrawn in place on a terminal, one line per 10% elsewhere."""

    def __init__(self, label: str, stream: Any) -> None:
        self.label, self.stream, self.last_decile = label, stream, -1
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        bar = "#" * int(fraction * 30)
        line = f"{self.label} [{bar:<30}] {done}/{total}"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
            self.stream.flush()
        elif int(fraction * 10) != self.last_decile or done >= total:
            self.last_decile = int(fraction * 10)
            self.stream.write(line + "\n")


class Command(BaseCommand):
    help = "Re-wrap data keys under the active master key; --reencrypt also renews data keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reencrypt", action="store_true",
                            help="Also give every owner a new data key and re-encrypt values.")
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        stream = self.stdout._out if hasattr(self.stdout, "_out") else sys.stdout
        result = rewrap_data_keys(
            batch_size=options["batch_size"], dry_run=dry_run,
            progress=ProgressBar("re-wrap data keys", stream),
        )
        verb = "would re-wrap" if dry_run else "re-wrapped"
        self.stdout.write(f"{verb} {result.total if dry_run else result.done} data keys")
        if options["reencrypt"]:
            result = reencrypt_owners(
                batch_size=min(options["batch_size"], 500), dry_run=dry_run,
                progress=ProgressBar("re-encrypt owners", stream),
            )
            verb = "would re-encrypt" if dry_run else "re-encrypted"
            self.stdout.write(f"{verb} the data of {result.total if dry_run else result.done} "
                              "owners under new data keys")
