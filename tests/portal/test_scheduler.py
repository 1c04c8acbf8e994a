"""Periodic work without cron: schedules as text, due jobs started once, one tick chain,
tasks abandoned by a killed worker put back, finished rows pruned."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portal.background.housekeeping import prune_finished, requeue_abandoned_tasks
from portal.background.scheduler import (
    TICK,
    check_schedules,
    ensure_scheduler,
    run_due_jobs,
    scheduler_tick,
)
from portal.background.schedules import BadSchedule, parse_schedule
from portal.background.status import queue_status
from portal.env import envschedule
from portal.mail import notify
from portal.models import MessageStatus, OutgoingMessage, PracticeSettings, ScheduledJob, User
from tests.helpers import delivered_mail, run_queued_tasks

DRAFT_ALERTS = "intake.tasks.alert_flagged_drafts"
HOUSEKEEPING = "portal.background.jobs.prune_queue"
TICK_PATH = "portal.background.scheduler.scheduler_tick"


def _queued(path: str) -> int:
    return DBTaskResult.objects.filter(task_path=path, status="READY").count()


@pytest.mark.parametrize(("text", "after", "expected"), [
    # 09:00 in New York is 14:00 UTC in winter, 13:00 UTC in summer.
    ("daily 09:00", datetime(2026, 12, 2, 12, 0, tzinfo=UTC), datetime(2026, 12, 2, 14, 0,
                                                                          tzinfo=UTC)),
    ("daily 09:00", datetime(2026, 12, 2, 14, 0, tzinfo=UTC), datetime(2026, 12, 3, 14, 0,
                                                                          tzinfo=UTC)),
    ("Daily  9:00", datetime(2026, 7, 1, 12, 0, tzinfo=UTC), datetime(2026, 7, 1, 13, 0,
                                                                         tzinfo=UTC)),
    ("every 15 minutes", datetime(2026, 12, 2, 12, 0, tzinfo=UTC),
     datetime(2026, 12, 2, 12, 15, tzinfo=UTC)),
    ("every 2h", datetime(2026, 12, 2, 12, 0, tzinfo=UTC), datetime(2026, 12, 2, 14, 0,
                                                                       tzinfo=UTC)),
    ("off", datetime(2026, 12, 2, 12, 0, tzinfo=UTC), None),
])
def test_a_schedule_says_when_a_job_next_runs(text: str, after: datetime,
                                              expected: datetime | None) -> None:
    assert parse_schedule(text).next_run(after, "America/New_York") == expected


@pytest.mark.parametrize("text", ["", "daily", "daily 24:00", "daily 9", "every 0 minutes",
                                  "every minute", "hourly", "every 5 days", "cron */5 * * * *"])
def test_a_schedule_that_cannot_be_read_is_refused_with_the_forms_that_can(text: str) -> None:
    with pytest.raises(BadSchedule, match="daily HH:MM"):
        parse_schedule(text)
    with pytest.raises(ImproperlyConfigured, match="SCHEDULE_X"):
        envschedule("SCHEDULE_X", "off", environ={"SCHEDULE_X": text or " "})


def test_every_registered_job_has_a_schedule(settings: Any) -> None:
    assert check_schedules() == []
    settings.SCHEDULE = {name: value for name, value in settings.SCHEDULE.items()
                         if name != "queue_housekeeping"}
    assert [problem.id for problem in check_schedules()] == ["portal.E020"]


@pytest.mark.django_db
def test_a_due_job_is_started_once_and_then_waits_for_its_next_time(settings: Any) -> None:
    settings.SCHEDULE = {**settings.SCHEDULE, "draft_safety_alerts": "every 15 minutes",
                         "queue_housekeeping": "daily 03:30"}
    # Noon in the practice's zone: no daily job falls in the quarter hour that follows
    # (with the clock's own time, the test failed when run just before 03:30 there).
    now = datetime(2026, 12, 2, 12, 0, tzinfo=ZoneInfo(settings.TIME_ZONE))
    # Interval jobs start at once (the check-in queue runs every 15 minutes too).
    every_quarter = ["check_in_queue", "draft_safety_alerts"]
    assert run_due_jobs(now) == every_quarter
    assert run_due_jobs(now) == []
    assert run_due_jobs(now + timedelta(minutes=14)) == []
    assert run_due_jobs(now + timedelta(minutes=15)) == every_quarter
    assert _queued(DRAFT_ALERTS) == 2
    housekeeping = ScheduledJob.objects.get(name="queue_housekeeping")
    assert housekeeping.next_run_at is not None and housekeeping.next_run_at > now
    assert "queue_housekeeping" in run_due_jobs(housekeeping.next_run_at)


@pytest.mark.django_db
def test_a_job_turned_off_in_the_settings_stops(settings: Any) -> None:
    now = timezone.now()
    run_due_jobs(now)
    settings.SCHEDULE = {**settings.SCHEDULE, "draft_safety_alerts": "off"}
    started = run_due_jobs(now + timedelta(days=2))
    assert "queue_housekeeping" in started and "draft_safety_alerts" not in started
    assert ScheduledJob.objects.get(name="draft_safety_alerts").next_run_at is None


@pytest.mark.django_db
def test_the_tick_runs_due_jobs_and_keeps_one_chain_going() -> None:
    assert ensure_scheduler() is True
    assert ensure_scheduler() is False  # one is waiting already
    run_queued_tasks()  # the tick, then the jobs it started
    assert DBTaskResult.objects.filter(task_path=DRAFT_ALERTS, status="SUCCESSFUL").exists()
    [next_tick] = DBTaskResult.objects.filter(task_path=TICK_PATH, status="READY")
    assert ScheduledJob.objects.get(name=TICK).task_id == next_tick.pk

    # A stray second chain (a restored backup, two deployments) ends at its first tick.
    scheduler_tick.enqueue()  # type: ignore[call-arg]  # the worker passes the context
    run_queued_tasks()
    assert _queued(TICK_PATH) == 1


@pytest.mark.django_db
def test_a_task_abandoned_by_a_killed_worker_goes_back_to_the_queue(
    settings: Any, client_user: User,
) -> None:
    [message] = notify(client_user, template="consents/email/reminder",
                       context={"practice": PracticeSettings.load()})
    # What SIGKILL leaves behind: claimed, never finished.
    started = timezone.now() - timedelta(seconds=settings.TASK_LEASE_SECONDS + 1)
    DBTaskResult.objects.filter(pk=str(message.task_id)).update(status="RUNNING",
                                                           started_at=started)
    assert run_queued_tasks() == 0
    assert requeue_abandoned_tasks(timezone.now()) == 1
    assert len(delivered_mail()) == 1
    # A task running within its lease belongs to a live worker and is left alone.
    [other] = notify(client_user, template="consents/email/reminder",
                     context={"practice": PracticeSettings.load()})
    DBTaskResult.objects.filter(pk=str(other.task_id)).update(status="RUNNING",
                                                         started_at=timezone.now())
    assert requeue_abandoned_tasks(timezone.now()) == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_tick_killed_with_its_worker_is_revived_when_a_worker_starts(settings: Any) -> None:
    """SIGKILL in the middle of a tick: the tick stays RUNNING, and it was the tick that
    would have put it back. Starting a worker (as the process manager does after the kill)
    brings the chain back, once."""
    settings.SCHEDULE = dict.fromkeys(settings.SCHEDULE, "off")
    ensure_scheduler()
    row = ScheduledJob.objects.get(name=TICK)
    killed = timezone.now() - timedelta(seconds=settings.TASK_LEASE_SECONDS + 1)
    DBTaskResult.objects.filter(pk=str(row.task_id)).update(status="RUNNING", started_at=killed)
    assert not queue_status().scheduler_waiting  # reported, not mistaken for a live tick

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload",
                 "--queue-name", "*", stdout=io.StringIO())

    assert DBTaskResult.objects.get(pk=str(row.task_id)).status == "SUCCESSFUL"
    assert _queued(TICK_PATH) == 1  # one chain, its next tick waiting
    assert queue_status().scheduler_waiting
    assert ensure_scheduler() is False


@pytest.mark.django_db
def test_finished_tasks_and_old_email_records_are_pruned_after_the_retention(
    settings: Any, client_user: User,
) -> None:
    for _ in range(2):
        notify(client_user, template="consents/email/reminder",
               context={"practice": PracticeSettings.load()})
    delivered_mail()
    old = timezone.now() - timedelta(days=settings.TASK_RETENTION_DAYS + 1)
    first = OutgoingMessage.objects.order_by("created_at").first()
    assert first is not None
    OutgoingMessage.objects.filter(pk=first.pk).update(sent_at=old)
    DBTaskResult.objects.filter(pk=str(first.task_id)).update(finished_at=old)
    assert prune_finished(timezone.now()) == (1, 1)
    assert OutgoingMessage.objects.filter(status=MessageStatus.SENT).count() == 1
    assert DBTaskResult.objects.count() == 1
