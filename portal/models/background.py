"""The scheduler's memory: when each periodic job last ran and next runs."""

from __future__ import annotations

from django.db import models


class ScheduledJob(models.Model):
    """One periodic job (or, named ``scheduler``, the scheduler's own tick): its schedule
    as last read from the settings, when it next runs, and the queue row of its latest run.
    The tick locks these rows, so two ticks at once never start a job twice."""

    name = models.CharField(max_length=64, primary_key=True)
    schedule = models.CharField(max_length=64, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    task_id = models.UUIDField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
