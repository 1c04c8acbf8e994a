"""Keeping the queue honest: tasks a killed worker left behind, and old finished rows.

A worker marks a task ``RUNNING`` when it claims it and ``SUCCESSFUL``/``FAILED`` when it
ends. A worker killed in between (SIGKILL, a lost machine) leaves ``RUNNING`` behind for
ever: nobody else would touch it. Every portal task is short (an email has a 10 s socket
timeout; a daily job works in small transactions), so a task running for longer than
``TASK_LEASE_SECONDS`` has lost its worker: it goes back to ``READY`` and another worker
runs it. That is safe because every portal task is idempotent (an email checks its outbox
row before sending; a job re-reads what is due).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from portal.models.outbox import MessageStatus, OutgoingMessage

logger = logging.getLogger("portal.background")


def requeue_abandoned_tasks(now: datetime) -> int:
    """Put tasks running for longer than the lease back in the queue; how many."""
    cutoff = now - timedelta(seconds=settings.TASK_LEASE_SECONDS)
    with transaction.atomic():
        count = DBTaskResult.objects.filter(status="RUNNING", started_at__lt=cutoff).update(
            status="READY", started_at=None)
    if count:
        logger.warning("%d task(s) abandoned by a worker were put back in the queue", count)
    return count


def prune_finished(now: datetime) -> tuple[int, int]:
    """Delete finished tasks and sent or given-up emails older than
    ``TASK_RETENTION_DAYS``; how many of each. A give-up stays in the audit trail."""
    cutoff = now - timedelta(days=settings.TASK_RETENTION_DAYS)
    tasks, _ = DBTaskResult.objects.filter(status__in=["SUCCESSFUL", "FAILED"],
                                           finished_at__lt=cutoff).delete()
    sent, _ = OutgoingMessage.objects.filter(status=MessageStatus.SENT,
                                             sent_at__lt=cutoff).delete()
    failed, _ = OutgoingMessage.objects.filter(status=MessageStatus.FAILED,
                                               failed_at__lt=cutoff).delete()
    return tasks, sent + failed
