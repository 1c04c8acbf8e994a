"""``manage.py verify_audit_log``: walk the audit chain; exit 0 if intact, 1 with the first
broken sequence number otherwise. ``--anchor`` prints the tip to keep somewhere else;
``--expect SEQ:MAC`` checks that a kept tip is still in the chain. Alerts raised while
recording (events found past the chain head, a rebuilt head) are listed after the result,
and while one is open the command exits 1 even when the chain walks clean (a rebuilt head
leaves a consistent chain: only the alert tells); ``--acknowledge-alerts`` marks them looked
into, which clears the staff banner and the failure."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit.chain import MAC_BYTES
from portal.audit.models import AuditAlert
from portal.audit.service import audit_alerts_acknowledge
from portal.audit.verify import verify_chain

_ALERT_TEXT = {
    AuditAlert.Kind.EVENTS_PAST_HEAD:
        "{rows} event(s) found past the chain head, #{first_seq} to #{last_seq}; "
        "recording carried on after them",
    AuditAlert.Kind.HEAD_REBUILT:
        "the chain head was missing; rebuilt from event #{first_seq}",
}


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
        parser.add_argument(
            "--acknowledge-alerts", action="store_true",
            help="After verifying, mark the open alerts as looked into (recorded in the "
                 "trail); this clears the banner staff see.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchor = _parse_anchor(options["expect"]) if options["expect"] else None
        started = time.perf_counter()
        report = verify_chain(anchor=anchor)
        seconds = time.perf_counter() - started
        still_open = self._alerts(acknowledge=options["acknowledge_alerts"])
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
        if still_open:
            raise CommandError(
                f"{still_open} audit alert(s) open (listed above): look into them as "
                "docs/audit-trail.md says, then run again with --acknowledge-alerts."
            )

    def _alerts(self, *, acknowledge: bool) -> int:
        """List the open alerts (on stderr: they are warnings), then acknowledge them if
        asked; return how many are still open. Listed before the verdict, so a broken chain
        still shows them."""
        open_alerts = list(AuditAlert.objects.filter(acknowledged_at__isnull=True))
        for alert in open_alerts:
            text = _ALERT_TEXT[AuditAlert.Kind(alert.kind)].format(
                rows=alert.rows, first_seq=alert.first_seq, last_seq=alert.last_seq)
            self.stderr.write(self.style.WARNING(
                f"Alert raised {alert.raised_at:%Y-%m-%d %H:%M} UTC: {text}."))
        if acknowledge:
            count = audit_alerts_acknowledge()
            self.stderr.write(f"Alerts acknowledged: {count}.")
            return 0
        return len(open_alerts)
