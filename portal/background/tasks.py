"""``background_task``: Django's ``@task`` with the portal's rule for failures.

A task that raises has its exception stored by the queue (class path and traceback, in
``django_tasks_db``'s table) and logged by the worker. An exception's message can carry what
it was handed: an address refused by a mail server, a value that failed validation. So a
portal task's failure reaches the queue and the log as ``TaskFailed`` naming the original
exception's class and nothing else, raised ``from None`` so no chained traceback follows it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django_tasks import task
from django_tasks.base import Task

logger = logging.getLogger("portal.background")

P = ParamSpec("P")
T = TypeVar("T")


class TaskFailed(Exception):  # the queue shows it by name: "the task failed"
    """A portal task raised; the message is the original exception's class, only."""


def error_class(error: BaseException) -> str:
    """``module.Class`` of ``error``: what the portal keeps of a failure."""
    return f"{type(error).__module__}.{type(error).__qualname__}"


def background_task(*, takes_context: bool = False,
                    priority: int = 0) -> Callable[[Callable[P, T]], Task[P, T]]:
    """Make ``function`` a task whose failures keep only their class (see the module)."""

    def decorate(function: Callable[P, T]) -> Task[P, T]:
        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except Exception as error:
                cause = error_class(error)
                logger.error("Task %s failed: %s", function.__name__, cause)
                raise TaskFailed(cause) from None

        made: Task[P, T] = task(guarded, takes_context=takes_context,
                                priority=priority)
        return made

    return decorate
