"""Taking work back out of the queue before a worker starts it.

Only a task still waiting (``READY``) can be taken back: its row is deleted, so no worker
will claim it. A task already running is left to finish: every portal task re-reads what
it works on (an email its outbox row) and does nothing when that is gone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult


def waiting_tasks_taking(task: Task[Any, Any], first_arguments: Iterable[str]) -> list[str]:
    """The ids of the waiting runs of ``task`` whose first argument is one of
    ``first_arguments`` (an id: portal tasks take ids only)."""
    values = list(first_arguments)
    if not values:
        return []
    return [str(pk) for pk in DBTaskResult.objects.filter(
        status="READY", task_path=task.module_path, args_kwargs__args__0__in=values,
    ).values_list("pk", flat=True)]


def cancel_waiting_tasks(task_ids: Iterable[uuid.UUID | str]) -> int:
    """Delete the waiting tasks among ``task_ids`` (ids of running or finished tasks, or of
    none, are ignored); how many were taken back."""
    ids = [str(task_id) for task_id in task_ids]
    if not ids:
        return 0
    cancelled, _ = DBTaskResult.objects.filter(pk__in=ids, status="READY").delete()
    return cancelled
