"""``manage.py verify_audit_log``: walk the audit chain; exit 0 if intact, 1 with the first
broken sequence number otherwise. ``--anchor`` prints the tip to keep somewhere else;
``--expect SEQ:MAC`` checks that a kept tip is still in the chain."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit.chain import MAC_BYTES
from portal.audit.verify import verify_chain


def _parse_anchor(text: str) -> tuple[int, bytes]:
    seq_text, _, mac_text = text.partition(":")
    try:
        seq, mac = int(seq_text), bytes.fromhex(mac_text)
    except ValueError:
        raise CommandError("--expect takes SEQ:MAC as printed by --anchor.") from None
    if seq < 1 or len(mac) != MAC_BYTES:
        raise CommandError("--expect takes SEQ:MAC as printed by --anchor.")
    return seq, mac


class Command(BaseCommand):
    help = "Verify the audit trail's HMAC chain; name the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor", action="store_true",
            help="After verifying, print the last sequence number and MAC (SEQ:MAC) to keep "
                 "outside the database.",
        )
        parser.add_argument(
            "--expect", metavar="SEQ:MAC",
            help="An anchor kept earlier: fail unless that event is still in the chain.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchor = _parse_anchor(options["expect"]) if options["expect"] else None
        started = time.perf_counter()
        report = verify_chain(anchor=anchor)
        seconds = time.perf_counter() - started
        if not report.intact:
            raise CommandError(
                f"Audit log broken at event #{report.broken_at}: {report.reason}. "
                f"Events 1 to {report.last_seq} verified."
            )
        self.stdout.write(self.style.SUCCESS(
            f"Audit log intact: {report.events} events verified in {seconds:.1f} s."
        ))
        if options["anchor"]:
            self.stdout.write(f"Anchor: {report.last_seq}:{report.last_mac.hex()}")
