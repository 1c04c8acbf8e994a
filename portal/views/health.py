"""Health checks for load balancers and monitors: ``/healthz`` the web server and its
database, ``/healthz/queue`` the task queue (kept apart: a queue that is behind is no reason
to take a web server out of rotation)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from portal.background.status import queue_status


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers a query, 503 when it does not. Says nothing else."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_safe
def healthz_queue(request: HttpRequest) -> JsonResponse:
    """The task queue, for a load balancer or an uptime monitor: 200 ``"ok"``, or 503
    ``"behind"`` when the oldest ready task has waited longer than
    ``QUEUE_HEALTH_MAX_AGE_SECONDS`` (the workers are down or cannot keep up) *or* the
    scheduler is not running (then no periodic job runs: no reminder goes out, nothing is
    pruned, so it is an outage too, if a quieter one); 503 ``"unavailable"`` when the
    database does not answer.

    Public, so it says only an age, the threshold and the scheduler's state: no counts per
    kind, no task, nothing about anyone (``manage.py queue_status`` has the detail)."""
    try:
        status = queue_status(counts=False)
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    oldest = status.oldest_ready
    return JsonResponse({
        "status": "ok" if status.all_ok else "behind",
        "oldest_ready_seconds": None if oldest is None else int(oldest.total_seconds()),
        "threshold_seconds": int(status.threshold.total_seconds()),
        "scheduler": "ok" if status.scheduler_ok else "not running",
    }, status=200 if status.all_ok else 503)
