"""The platform's own periodic job: pruning what the queue has finished with."""

from __future__ import annotations

import logging

from django.utils import timezone

from portal.background.housekeeping import prune_finished
from portal.background.tasks import background_task

logger = logging.getLogger("portal.background")


@background_task()
def prune_queue() -> None:
    """Delete finished tasks and sent or given-up emails past ``TASK_RETENTION_DAYS``."""
    tasks, messages = prune_finished(timezone.now())
    logger.info("Pruned %d finished task(s) and %d email record(s)", tasks, messages)
