"""Background work on the task queue (Django's Tasks API, database backend).

- ``tasks``: ``background_task``, the decorator every portal task uses (its failures reach
  the queue table as an error class, never a message or a local value).
- ``scheduler``: the daily and periodic jobs, run by a task that re-enqueues itself.
- ``housekeeping``: tasks abandoned by a killed worker go back to the queue; finished ones
  are pruned after the retention period.
- ``status``: what is queued, running, failed and how old, for ``queue_status`` and
  ``/healthz/queue``.

A task is a row in ``django_tasks_db``'s table, written in the caller's transaction: it
exists exactly when the data that caused it commits. Its arguments are ids only.
"""
