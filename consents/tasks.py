"""The consents' background work, run by the scheduler (``portal.background.scheduler``)."""

from __future__ import annotations

import logging

from consents.expiry_reminders import send_expiry_reminders
from portal.background.tasks import background_task

logger = logging.getLogger("consents")


@background_task()
def remind_expiring_signatures() -> None:
    """Email clients whose signature ends soon, once per signature
    (``send_expiry_reminders``)."""
    sent = send_expiry_reminders()
    if sent:
        logger.info("Consent expiry reminders sent: %d", sent)
