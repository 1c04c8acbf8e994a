"""``manage.py queue_status [--json] [--start-scheduler]``: what the task queue holds, for
an operator and for monitoring.

Per task kind (its dotted path): how many tasks wait (queued), run and failed, and how long
the oldest ready one has waited; then the scheduler's state and next tick; then the
outgoing emails not yet sent and given up. Counts only: no task argument, address or
anything personal is read.

Exit code 0 when all is well, 1 when the queue needs attention: the oldest ready task has
waited longer than ``QUEUE_HEALTH_MAX_AGE_SECONDS`` (workers are down or cannot keep up) or
the scheduler is not running (no periodic job, no reminder, runs). ``--start-scheduler``
starts the scheduler's chain first when none is alive (as a worker's start does).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.background.scheduler import ensure_scheduler
from portal.background.status import QueueStatus, format_age, queue_status
from portal.formatting import format_iso, format_when


def _seconds(age: Any) -> float | None:
    return None if age is None else round(age.total_seconds(), 1)


def status_as_data(status: QueueStatus) -> dict[str, Any]:
    """The report as JSON data (``--json``)."""
    return {
        "kinds": [{"kind": kind.kind, "queued": kind.queued, "running": kind.running,
                   "failed": kind.failed, "oldest_ready_seconds": _seconds(kind.oldest_ready)}
                  for kind in status.kinds],
        "oldest_ready_seconds": _seconds(status.oldest_ready),
        "threshold_seconds": _seconds(status.threshold),
        "scheduler": {"state": "ok" if status.scheduler_ok else "not running",
                      "next_tick": format_iso(status.scheduler_next_tick)
                      if status.scheduler_ok else None},
        "outgoing_messages": {"pending": status.messages_pending,
                              "given_up": status.messages_given_up},
        "healthy": status.all_ok,
    }


def _problems(status: QueueStatus) -> list[str]:
    problems = []
    if not status.healthy:
        problems.append(f"the oldest ready task has waited {format_age(status.oldest_ready)} "
                        f"(more than {format_age(status.threshold)}): are the workers running?")
    if not status.scheduler_ok:
        problems.append("the scheduler is not running: start a worker, or run "
                        "queue_status --start-scheduler")
    return problems


class Command(BaseCommand):
    help = ("Print queued, running and failed tasks per kind, the oldest ready task's age, "
            "the scheduler's state and the outgoing emails; exit 1 when the queue is behind "
            "or the scheduler is not running.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--start-scheduler", action="store_true",
                            help="Start the scheduler first if it is not running.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = ensure_scheduler() if options["start_scheduler"] else None
        status = queue_status()
        if options["json"]:
            data = status_as_data(status)
            if started is not None:
                data["scheduler_started"] = started
            self.stdout.write(json.dumps(data, indent=2))
        else:
            if started is not None:
                self.stdout.write("Scheduler started." if started
                                  else "The scheduler was running already; nothing started.")
            self._write_table(status)
        if problems := _problems(status):
            raise CommandError("The queue needs attention: " + "; ".join(problems) + ".",
                               returncode=1)

    def _write_table(self, status: QueueStatus) -> None:
        width = max([len("Task kind"), *(len(kind.kind) for kind in status.kinds)])
        self.stdout.write(f"{'Task kind':<{width}}  {'queued':>6}  {'running':>7}  "
                          f"{'failed':>6}  oldest ready")
        for kind in status.kinds:
            self.stdout.write(f"{kind.kind:<{width}}  {kind.queued:>6}  {kind.running:>7}  "
                              f"{kind.failed:>6}  {format_age(kind.oldest_ready)}")
        if not status.kinds:
            self.stdout.write("(no tasks)")
        self.stdout.write("")
        if status.scheduler_ok:
            self.stdout.write(f"Scheduler: live, next tick "
                              f"{format_when(status.scheduler_next_tick)}")
        else:
            self.stdout.write("Scheduler: NOT RUNNING")
        self.stdout.write(f"Outgoing messages: {status.messages_pending} pending, "
                          f"{status.messages_given_up} given up")
        verdict = "ok" if status.healthy else "BEHIND"
        self.stdout.write(f"Oldest ready task: {format_age(status.oldest_ready)} "
                          f"(threshold {format_age(status.threshold)}): {verdict}")
