"""The measures' background work, run by the scheduler (``portal.background.scheduler``):
the check-in queue of ``measures.queue``."""

from __future__ import annotations

import logging

from measures.queue import expire_check_ins, open_due_check_ins, send_check_in_reminders
from portal.background.tasks import background_task

logger = logging.getLogger("measures")


@background_task()
def run_check_in_queue() -> None:
    """Expire the check-ins left open past their time (missed), then open those due
    (``expire_check_ins``, ``open_due_check_ins``: each under its row lock)."""
    missed = expire_check_ins()
    opened = open_due_check_ins()
    if missed or opened:
        logger.info("Check-ins opened: %d; missed: %d", opened, missed)


@background_task()
def remind_open_check_ins() -> None:
    """Email clients whose check-in waits, at most the practice's number per check-in and
    none while paused (``send_check_in_reminders``)."""
    sent = send_check_in_reminders()
    if sent:
        logger.info("Check-in reminders sent: %d", sent)
