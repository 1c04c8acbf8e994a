"""``manage.py db_worker``: the backend's worker, after making the queue whole again.

A worker killed with SIGKILL leaves its task ``RUNNING`` for ever; when that task was the
scheduler's tick, nothing would ever run the periodic jobs again (the tick is what puts
abandoned tasks back). A process manager restarts a killed worker, so the restart is the
moment to repair: abandoned tasks go back to the queue and the scheduler's chain is started
when none is alive. Then the backend's own worker runs, unchanged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as BackendWorkerCommand

from portal.background.housekeeping import requeue_abandoned_tasks
from portal.background.scheduler import ensure_scheduler

logger = logging.getLogger("portal.background")


class Command(BackendWorkerCommand):
    help = ("Run a task worker (the database backend's), after putting back tasks a killed "
            "worker left and starting the scheduler if it is not running.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            requeue_abandoned_tasks(timezone.now())
            ensure_scheduler()
        except DatabaseError:
            # Not migrated yet, or the database is briefly away: the worker itself will
            # report that; the next tick or restart repairs the queue.
            logger.warning("The queue could not be checked before the worker started")
        super().handle(*args, **options)
