"""Periodic jobs without cron: a task that runs the due jobs and re-enqueues itself.

Features register their jobs at start-up (``register_job`` in an ``AppConfig.ready``); the
settings say when each runs (``SCHEDULE``, see ``portal.background.schedules``). Every
``SCHEDULER_TICK_SECONDS`` the tick (``scheduler_tick``):

1. puts back in the queue any task a killed worker left running (``housekeeping``);
2. locks the ``ScheduledJob`` rows and, for each job that is due, enqueues its task and
   moves its next run on, in one transaction: two ticks at once cannot start a job twice;
3. enqueues the next tick and records its id on the ``scheduler`` row. A tick that finds
   another tick recorded there, still waiting or running, is a stray (two chains after a
   restore, say) and ends without re-enqueuing, so there is always one chain.

``ensure_scheduler`` starts the chain when none is alive; ``migrate`` and every worker's
start (``manage.py db_worker``) call it, so a chain whose tick died with a SIGKILLed worker
comes back when that worker is restarted; ``queue_status`` and ``/healthz/queue`` report a
missing one.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks.base import Task, TaskContext
from django_tasks_db.models import DBTaskResult

from portal.background.housekeeping import requeue_abandoned_tasks
from portal.background.schedules import BadSchedule, parse_schedule
from portal.background.tasks import background_task
from portal.models.background import ScheduledJob

logger = logging.getLogger("portal.background")

TICK = "scheduler"


@dataclass(frozen=True)
class Job:
    """A periodic job: its name (the key of ``settings.SCHEDULE``) and the task it runs
    (a task taking no arguments)."""

    name: str
    task: Task[[], Any]
    description: str


_JOBS: dict[str, Job] = {}


def register_job(job: Job) -> None:
    """Add ``job`` to the schedule (at start-up; registering a name twice is a mistake)."""
    existing = _JOBS.get(job.name)
    if existing is not None and existing.task.module_path != job.task.module_path:
        raise ValueError(f"Two periodic jobs are named {job.name!r}.")
    _JOBS[job.name] = job


def registered_jobs() -> list[Job]:
    return [_JOBS[name] for name in sorted(_JOBS)]


def _enqueue_tick(run_after: datetime | None) -> uuid.UUID:
    task = scheduler_tick.using(run_after=run_after) if run_after else scheduler_tick
    # The worker passes the context; the stubs cannot know that.
    return uuid.UUID(str(task.enqueue().id))  # type: ignore[call-arg]


def live_ticks(now: datetime | None = None) -> QuerySet[DBTaskResult]:
    """Ticks that will still run: waiting, or running within the lease. A tick ``RUNNING``
    for longer than ``TASK_LEASE_SECONDS`` lost its worker (SIGKILL) and will never end."""
    now = now or timezone.now()
    lease_start = now - timedelta(seconds=settings.TASK_LEASE_SECONDS)
    return DBTaskResult.objects.filter(
        Q(status="READY") | Q(status="RUNNING", started_at__gte=lease_start))


def _chain_is_waiting(task_id: uuid.UUID | None, *, besides: uuid.UUID | None = None) -> bool:
    if task_id is None or task_id == besides:
        return False
    return live_ticks().filter(pk=task_id).exists()


def ensure_scheduler() -> bool:
    """Start the tick chain if no tick is waiting or running within its lease; ``True`` if
    one was started. Callers outside the chain (a worker starting, ``queue_status
    --start-scheduler``, ``migrate``) are what revive a chain whose tick a killed worker took
    down: tasks past their lease go back to the queue first, the tick among them."""
    requeue_abandoned_tasks(timezone.now())
    with transaction.atomic():
        row, _ = ScheduledJob.objects.select_for_update().get_or_create(name=TICK)
        if _chain_is_waiting(row.task_id):
            return False
        row.task_id = _enqueue_tick(None)
        row.next_run_at = timezone.now()
        row.save(update_fields=["task_id", "next_run_at"])
    logger.info("Scheduler started")
    return True


def run_due_jobs(now: datetime) -> list[str]:
    """Enqueue every registered job that is due at ``now`` and move its next run on; the
    names of the jobs started. Rows are locked, so concurrent callers start each once."""
    started = []
    zone = settings.TIME_ZONE
    with transaction.atomic():
        rows = {row.name: row for row in
                ScheduledJob.objects.select_for_update().filter(name__in=list(_JOBS))}
        for job in registered_jobs():
            schedule = parse_schedule(settings.SCHEDULE[job.name])
            row = rows.get(job.name) or ScheduledJob(name=job.name)
            if row.schedule != schedule.text or (row.next_run_at is None
                                                 and not schedule.is_off):
                row.schedule = schedule.text
                row.next_run_at = schedule.first_run(now, zone)
            if row.next_run_at is not None and row.next_run_at <= now:
                row.task_id = job.task.enqueue().id
                row.last_run_at = now
                row.next_run_at = schedule.next_run(now, zone)
                started.append(job.name)
            row.save()
    return started


@background_task(takes_context=True)
def scheduler_tick(context: TaskContext) -> None:
    """One tick (see the module): abandoned tasks back, due jobs started, the next tick."""
    me = uuid.UUID(str(context.task_result.id))
    now = timezone.now()
    with transaction.atomic():
        row, _ = ScheduledJob.objects.select_for_update().get_or_create(name=TICK)
        if row.task_id not in (None, me) and _chain_is_waiting(row.task_id, besides=me):
            logger.warning("A second scheduler tick ended: one chain is enough")
            return
        try:
            requeue_abandoned_tasks(now)
            started = run_due_jobs(now)
        finally:
            # Whatever happened above, the chain goes on.
            row.task_id = _enqueue_tick(now + timedelta(seconds=settings.SCHEDULER_TICK_SECONDS))
            row.last_run_at = now
            row.next_run_at = now + timedelta(seconds=settings.SCHEDULER_TICK_SECONDS)
            row.save()
    if started:
        logger.info("Scheduler started: %s", ", ".join(started))


def check_schedules(**kwargs: Any) -> list[checks.CheckMessage]:
    """A system check: every registered job has a valid schedule in ``settings.SCHEDULE``,
    and every schedule there names a job."""
    problems: list[checks.CheckMessage] = []
    schedules: dict[str, str] = getattr(settings, "SCHEDULE", {})
    for job in registered_jobs():
        if job.name not in schedules:
            problems.append(checks.Error(f"The periodic job {job.name!r} has no schedule.",
                                         hint="Add it to SCHEDULE in the settings.",
                                         id="portal.E020"))
            continue
        try:
            parse_schedule(schedules[job.name])
        except BadSchedule as error:
            problems.append(checks.Error(str(error), id="portal.E021"))
    for name in sorted(set(schedules) - set(_JOBS)):
        problems.append(checks.Warning(f"SCHEDULE names {name!r}, which no app registers.",
                                       id="portal.W020"))
    return problems


def start_after_migrate(**kwargs: Any) -> None:
    """``post_migrate``: start the scheduler's chain (unless the settings say not to)."""
    if settings.SCHEDULER_START_ON_MIGRATE:
        ensure_scheduler()

