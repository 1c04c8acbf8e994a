"""The intake's background work, run by the scheduler (``portal.background.scheduler``)."""

from __future__ import annotations

import logging

from intake.notifications import send_due_draft_alerts
from portal.background.tasks import background_task

logger = logging.getLogger("intake")


@background_task()
def alert_flagged_drafts() -> None:
    """Email the care team about flagged intakes left unsent past the practice's setting
    (``send_due_draft_alerts``: each once, under the intake's row lock)."""
    sent = send_due_draft_alerts()
    if sent:
        logger.info("Safety alerts emailed for %d unsent intake(s)", sent)
