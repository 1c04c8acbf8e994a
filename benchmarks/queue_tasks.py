"""The queue benchmark's task: a module of its own, so the worker imports it by path
(``benchmarks.queue_tasks.do_nothing``) as it imports the portal's tasks."""

from __future__ import annotations

from django_tasks import task


@task()
def do_nothing(number: int) -> None:
    """Take one id-sized argument and return: what is left is the queue's own cost."""
