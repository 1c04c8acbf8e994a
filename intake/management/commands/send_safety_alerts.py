"""Email the care team about safety answers in intakes left unsent past the practice's
setting. Run it every few minutes (cron or a systemd timer; docs/deployment.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from intake.notifications import send_due_draft_alerts


class Command(BaseCommand):
    help = ("Email the care team (or the admins, when no clinician is assigned) about each "
            "unsent intake whose safety alert has waited past the practice's setting.")

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_due_draft_alerts()
        self.stdout.write(f"Safety alerts emailed for {sent} unsent intake(s).")
