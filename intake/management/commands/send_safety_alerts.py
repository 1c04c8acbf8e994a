"""Email the care team about safety answers in intakes left unsent past the practice's
setting, now. The scheduler does this on its own (``SCHEDULE_DRAFT_SAFETY_ALERTS``, every 15
minutes by default); this command is for an operator who wants it done at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from intake.notifications import send_due_draft_alerts


class Command(BaseCommand):
    help = ("Queue the safety alert email to the care team (or the admins, when no clinician "
            "is assigned) for each unsent intake whose alert has waited past the practice's "
            "setting.")

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_due_draft_alerts()
        self.stdout.write(f"Safety alerts queued for {sent} unsent intake(s).")
