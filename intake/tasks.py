"""The intake's background work, run by the scheduler (``portal.background.scheduler``)."""

from __future__ import annotations

import logging

from intake.notifications import send_due_draft_alerts
from intake.reminders import send_due_intake_reminders
from portal.background.tasks import background_task

logger = logging.getLogger("intake")


@background_task()
def alert_flagged_drafts() -> None:
    """Email the care team about flagged intakes left unsent past the practice's setting
    (``send_due_draft_alerts``: each once, under the intake's row lock)."""
    sent = send_due_draft_alerts()
    if sent:
        logger.info("Safety alerts emailed for %d unsent intake(s)", sent)


@background_task()
def remind_unfinished_intakes() -> None:
    """Email clients whose intake waits unsent, when the practice has reminders on
    (``send_due_intake_reminders``: each under the intake's row lock, at most the practice's
    number per intake)."""
    sent = send_due_intake_reminders()
    if sent:
        logger.info("Intake reminders sent: %d", sent)
