"""Watching the queue: ``manage.py queue_status`` (a table, JSON, an exit code monitoring can
use, ``--start-scheduler``) and the public ``/healthz/queue`` (an age and a state, 503 when
the workers fall behind or the scheduler is not running)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portal.background.scheduler import ensure_scheduler
from portal.background.status import format_age
from portal.mail import notify
from portal.models import PracticeSettings, User
from tests.helpers import given_up_message, run_queued_tasks

pytestmark = pytest.mark.django_db

DELIVER = "portal.mail.delivery.deliver_message"
TICK = "portal.background.scheduler.scheduler_tick"


def _queue_status(*args: str) -> tuple[str, int]:
    """The command's output and exit code, as a shell would see them."""
    out = io.StringIO()
    try:
        call_command("queue_status", *args, stdout=out)
    except CommandError as error:
        return out.getvalue() + f"\n{error}", error.returncode
    return out.getvalue(), 0


def _reminders(client: User, count: int) -> None:
    for _ in range(count):
        notify(client, template="consents/email/reminder",
               context={"practice": PracticeSettings.load()})


def _age_tasks(seconds: int) -> None:
    """Every waiting task as if enqueued ``seconds`` ago (nobody ran them since)."""
    DBTaskResult.objects.filter(status="READY").update(
        enqueued_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"), (3.9, "3 s"), (59, "59 s"), (60, "1 min"), (299, "4 min"), (3600, "1 h"),
    (7300, "2 h"), (86400 * 3 + 5, "3 d"),
])
def test_ages_read_as_people_say_them(seconds: float, text: str) -> None:
    assert format_age(timedelta(seconds=seconds)) == text
    assert format_age(None) == "-"


def test_a_queue_keeping_up_with_the_scheduler_running_is_ok(client_user: User) -> None:
    ensure_scheduler()
    _reminders(client_user, 2)
    given_up_message(client_user)
    _age_tasks(3)

    output, code = _queue_status()
    assert code == 0, output
    lines = output.splitlines()
    [deliver] = [line for line in lines if line.startswith(DELIVER)]
    # Two reminders wait; the given-up email's task ran (successfully: it handled the refusal).
    assert deliver.split() == [DELIVER, "2", "0", "0", "3", "s"]
    assert [line for line in lines if line.startswith(TICK)]
    assert "Scheduler: live, next tick" in output
    assert "Outgoing messages: 2 pending, 1 given up" in output
    assert "Oldest ready task: 3 s (threshold 5 min): ok" in output
    assert client_user.email not in output


def test_workers_falling_behind_exit_1_and_say_why(client_user: User, settings: Any) -> None:
    settings.QUEUE_HEALTH_MAX_AGE_SECONDS = 300
    ensure_scheduler()
    _reminders(client_user, 1)
    _age_tasks(7300)
    output, code = _queue_status()
    assert code == 1
    assert "Oldest ready task: 2 h (threshold 5 min): BEHIND" in output
    assert "the oldest ready task has waited 2 h" in output

    run_queued_tasks()  # the workers catch up
    output, code = _queue_status()
    assert code == 0, output


def test_a_stopped_scheduler_exits_1_until_started(client_user: User) -> None:
    output, code = _queue_status()
    assert code == 1
    assert "Scheduler: NOT RUNNING" in output and "the scheduler is not running" in output

    output, code = _queue_status("--start-scheduler")
    assert code == 0, output
    assert output.startswith("Scheduler started.")
    assert DBTaskResult.objects.filter(task_path=TICK, status="READY").count() == 1

    output, code = _queue_status("--start-scheduler")
    assert code == 0
    assert output.startswith("The scheduler was running already; nothing started.")
    assert DBTaskResult.objects.filter(task_path=TICK, status="READY").count() == 1


def test_the_json_report_says_the_same(client_user: User) -> None:
    _reminders(client_user, 1)
    given_up_message(client_user)
    _age_tasks(90)
    output, code = _queue_status("--json", "--start-scheduler")
    assert code == 0
    data = json.loads(output)
    assert data["scheduler_started"] is True
    deliver = next(kind for kind in data["kinds"] if kind["kind"] == DELIVER)
    assert deliver == {"kind": DELIVER, "queued": 1, "running": 0, "failed": 0,
                       "oldest_ready_seconds": pytest.approx(90, abs=5)}
    assert data["threshold_seconds"] == 300
    assert data["scheduler"]["state"] == "ok" and data["scheduler"]["next_tick"]
    assert data["outgoing_messages"] == {"pending": 1, "given_up": 1}
    assert data["healthy"] is True

    DBTaskResult.objects.filter(task_path=TICK).delete()  # the scheduler's chain is gone
    output, code = _queue_status("--json")
    assert code == 1
    data = json.loads(output[:output.rindex("}") + 1])
    assert data["scheduler"] == {"state": "not running", "next_tick": None}
    assert data["healthy"] is False


# --- /healthz/queue --------------------------------------------------------------------------


def test_healthz_queue_is_ok_while_the_queue_keeps_up(client: Client,
                                                      client_user: User) -> None:
    ensure_scheduler()
    _reminders(client_user, 1)
    _age_tasks(10)
    response = client.get("/healthz/queue")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body == {"status": "ok", "oldest_ready_seconds": body["oldest_ready_seconds"],
                    "threshold_seconds": 300, "scheduler": "ok"}
    assert 10 <= body["oldest_ready_seconds"] < 20
    assert response["Cache-Control"].startswith("max-age=0")
    assert client.head("/healthz/queue").status_code == HTTPStatus.OK
    assert client.post("/healthz/queue").status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_healthz_queue_is_503_when_the_workers_fall_behind(client: Client,
                                                          client_user: User) -> None:
    ensure_scheduler()
    _reminders(client_user, 3)
    _age_tasks(600)
    response = client.get("/healthz/queue")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["status"] == "behind" and body["scheduler"] == "ok"
    assert body["oldest_ready_seconds"] >= 600
    # Public: an age and a state, nothing per kind, nothing about anyone.
    assert set(body) == {"status", "oldest_ready_seconds", "threshold_seconds", "scheduler"}
    assert b"deliver" not in response.content and b"@" not in response.content
    # /healthz stays about the web server.
    assert client.get("/healthz").status_code == HTTPStatus.OK


def test_healthz_queue_is_503_when_the_scheduler_is_not_running(client: Client) -> None:
    response = client.get("/healthz/queue")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"status": "behind", "oldest_ready_seconds": None,
                               "threshold_seconds": 300, "scheduler": "not running"}
    ensure_scheduler()
    assert client.get("/healthz/queue").status_code == HTTPStatus.OK
