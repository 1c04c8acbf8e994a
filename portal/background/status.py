"""What the queue holds: for ``manage.py queue_status`` and ``/healthz/queue``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from portal.background.scheduler import live_ticks
from portal.models.background import ScheduledJob
from portal.models.outbox import MessageStatus, OutgoingMessage


@dataclass
class KindStatus:
    """One task kind (its dotted path): how many wait, run and failed, and how long the
    oldest ready one has waited (``None`` when none is ready)."""

    kind: str
    queued: int = 0
    running: int = 0
    failed: int = 0
    oldest_ready: timedelta | None = None


@dataclass
class QueueStatus:
    kinds: list[KindStatus] = field(default_factory=list)
    scheduler_next_tick: datetime | None = None
    scheduler_waiting: bool = False  # a tick waits, or runs within its lease
    # Outgoing emails not yet sent (waiting, being sent, or waiting for a retry), and those
    # given up: counts only, from plaintext status columns.
    messages_pending: int = 0
    messages_given_up: int = 0

    @property
    def threshold(self) -> timedelta:
        """How long a ready task may wait before the queue counts as behind
        (``QUEUE_HEALTH_MAX_AGE_SECONDS``)."""
        return timedelta(seconds=settings.QUEUE_HEALTH_MAX_AGE_SECONDS)

    @property
    def scheduler_ok(self) -> bool:
        """The scheduler's chain is alive: its next tick waits, or it runs within its lease.
        Without it no periodic job (reminders, housekeeping) runs."""
        return self.scheduler_waiting

    @property
    def all_ok(self) -> bool:
        """Workers keep up (``healthy``) and the scheduler runs: what ``queue_status``'s
        exit code and ``/healthz/queue`` report."""
        return self.healthy and self.scheduler_ok

    @property
    def oldest_ready(self) -> timedelta | None:
        ages = [kind.oldest_ready for kind in self.kinds if kind.oldest_ready is not None]
        return max(ages, default=None)

    @property
    def healthy(self) -> bool:
        """The oldest ready task has waited no longer than ``QUEUE_HEALTH_MAX_AGE_SECONDS``:
        workers are keeping up."""
        oldest = self.oldest_ready
        return oldest is None or oldest <= self.threshold


def queue_status(now: datetime | None = None, *, counts: bool = True) -> QueueStatus:
    """Counts per task kind in two queries' worth of work (no task arguments read).

    A task is *ready* when it waits and its ``run_after`` has passed; its age counts from
    the later of when it was enqueued and when it became runnable, so a retry scheduled for
    an hour from now is not "late".

    ``counts=False`` (the public ``/healthz/queue``) reads only the ready tasks and the
    scheduler's tick: no count over the retained finished tasks or the outbox, so a probe
    costs the same however much history the queue keeps.
    """
    now = now or timezone.now()
    kinds: dict[str, KindStatus] = {}
    if counts:
        rows = (DBTaskResult.objects.values("task_path")
                .annotate(queued=Count("id", filter=Q(status="READY")),
                          running=Count("id", filter=Q(status="RUNNING")),
                          failed=Count("id", filter=Q(status="FAILED")))
                .order_by())
        kinds = {row["task_path"]: KindStatus(row["task_path"], row["queued"],
                                              row["running"], row["failed"])
                 for row in rows}
    ready = DBTaskResult.objects.ready().order_by()
    never_delayed = get_date_max()  # the backend's run_after for "as soon as possible"
    waiting_since = [
        ready.filter(run_after=never_delayed).values("task_path")
        .annotate(since=Min("enqueued_at")),
        ready.exclude(run_after=never_delayed).values("task_path")
        .annotate(since=Min("run_after")),
    ]
    for query in waiting_since:
        for row in query:
            age = max(now - row["since"], timedelta(0))
            kind = kinds.setdefault(row["task_path"], KindStatus(row["task_path"]))
            kind.oldest_ready = max(age, kind.oldest_ready or timedelta(0))
    status = QueueStatus(kinds=[kinds[name] for name in sorted(kinds)])
    tick = ScheduledJob.objects.filter(name="scheduler").first()
    if tick is not None and tick.task_id is not None:
        status.scheduler_next_tick = tick.next_run_at
        status.scheduler_waiting = live_ticks(now).filter(pk=tick.task_id).exists()
    if counts:
        by_status = dict(OutgoingMessage.objects.values_list("status").annotate(Count("id"))
                         .order_by())
        status.messages_pending = sum(by_status.get(state, 0) for state in (
            MessageStatus.PENDING, MessageStatus.SENDING))
        status.messages_given_up = by_status.get(MessageStatus.FAILED, 0)
    return status


def format_age(age: timedelta | None) -> str:
    """An age for people, rounded down to one unit: ``3 s``, ``5 min``, ``2 h``, ``4 d``;
    ``-`` for none."""
    if age is None:
        return "-"
    seconds = int(age.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
