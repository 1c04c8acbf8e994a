"""``manage.py rotate_keys [--reencrypt] [--dry-run]``: move data onto the active master key.

Run it after adding a new master key to ``PORTAL_MASTER_KEYS`` and making it
``PORTAL_ACTIVE_MASTER_KEY_ID`` (docs/key-management.md has the runbook).

Audit: each run records one ``keys.rotated`` event (the active master key id and how many
data keys were re-wrapped) and, with ``--reencrypt``, one ``keys.reencrypted`` event (owners
and rows), by the system. Rotation works online in many short transactions, so the event
cannot share one with the work: it is written when the phase ends, and also when it stops
part-way, with the count of batches that had committed. A dry run changes nothing and
records nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.crypto.providers import get_key_provider
from portal.crypto.rotation import RotationResult, reencrypt_owners, rewrap_data_keys


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


class Tally:
    """Passes progress on and remembers how many items had committed at the last report."""

    def __init__(self, report: Callable[[int, int], None]) -> None:
        self.report, self.done = report, 0

    def __call__(self, done: int, total: int) -> None:
        self.done = done
        self.report(done, total)


@contextmanager
def recorded(action: Action, detail: Callable[[], dict[str, Any]]) -> Iterator[None]:
    """Record ``action`` by the system when the block ends, however it ends, so work that
    committed before an interruption is never missing from the audit trail."""
    try:
        yield
    finally:
        record_event(action, actor=None, detail=detail())


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
        if dry_run:
            result = rewrap_data_keys(batch_size=options["batch_size"], dry_run=True)
        else:
            result = self._rewrap(options["batch_size"], ProgressBar("re-wrap data keys", stream))
        verb = "would re-wrap" if dry_run else "re-wrapped"
        self.stdout.write(f"{verb} {result.total if dry_run else result.done} data keys")
        if options["reencrypt"]:
            batch_size = min(options["batch_size"], 500)
            if dry_run:
                result = reencrypt_owners(batch_size=batch_size, dry_run=True)
            else:
                result = self._reencrypt(batch_size, ProgressBar("re-encrypt owners", stream))
            verb = "would re-encrypt" if dry_run else "re-encrypted"
            self.stdout.write(f"{verb} the data of {result.total if dry_run else result.done} "
                              "owners under new data keys")

    @staticmethod
    def _rewrap(batch_size: int, progress: ProgressBar) -> RotationResult:
        """Re-wrap, then record ``keys.rotated`` with the keys re-wrapped so far."""
        master_key_id = get_key_provider().active_key_id
        tally = Tally(progress)
        with recorded(Action.KEYS_ROTATED,
                      lambda: {"master_key_id": master_key_id, "rewrapped": tally.done}):
            return rewrap_data_keys(batch_size=batch_size, progress=tally)

    @staticmethod
    def _reencrypt(batch_size: int, progress: ProgressBar) -> RotationResult:
        """Re-encrypt, then record ``keys.reencrypted`` with the owners done so far (and the
        rows re-sealed, known once the run completes)."""
        tally = Tally(progress)
        outcome: list[RotationResult] = []

        def detail() -> dict[str, Any]:
            return {"owners": tally.done, **({"rows": outcome[0].rows} if outcome else {})}

        with recorded(Action.KEYS_REENCRYPTED, detail):
            outcome.append(reencrypt_owners(batch_size=batch_size, progress=tally))
        return outcome[0]
