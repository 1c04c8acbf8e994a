"""Several workers, real processes, one PostgreSQL queue: every email is sent exactly once.

The test queues emails through ``notify`` (committed: ``transactional_db``), then starts two
``manage.py db_worker --batch`` processes at once against the same database, sharing this
process's keys, sending over SMTP to a local sink. Each task must be claimed by one worker
(``SELECT ... FOR UPDATE SKIP LOCKED``), so the sink receives each Message-ID once.
"""

from __future__ import annotations

import base64
import email
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from evidence.mailsink import MailSink
from portal.mail import notify
from portal.models import MessageStatus, OutgoingMessage, PracticeSettings
from tests.factories import UserFactory
from tests.subprocesses import ROOT, fixed_key_environ

EMAILS = 120


def _b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def _worker_environ(sink_port: int) -> dict[str, str]:
    """This process's database and keys, for a child process, with SMTP to the sink."""
    database = connection.settings_dict
    url = (f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
           f"{database['PORT'] or 5432}/{database['NAME']}")
    return fixed_key_environ(
        DATABASE_URL=url,
        PORTAL_MASTER_KEYS=",".join(f"{key_id}:{_b64(key)}"
                                    for key_id, key in settings.PORTAL_MASTER_KEYS.items()),
        PORTAL_ACTIVE_MASTER_KEY_ID=settings.PORTAL_ACTIVE_MASTER_KEY_ID,
        PORTAL_BLIND_INDEX_KEY=_b64(settings.PORTAL_BLIND_INDEX_KEY),
        PORTAL_AUDIT_KEY=_b64(settings.PORTAL_AUDIT_KEY),
        EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink_port),
    )


@pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                    reason="several workers share one queue on PostgreSQL (DATABASE_URL)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_worker_processes_never_send_one_email_twice(tmp_path: Any) -> None:
    practice = PracticeSettings.load()
    people = [UserFactory(email=f"person{n}@example.com") for n in range(EMAILS)]
    for person in people:
        notify(person, template="consents/email/reminder", context={"practice": practice})

    with MailSink() as sink:
        environ = _worker_environ(sink.port)
        logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
        workers = [
            subprocess.Popen(  # this interpreter, fixed arguments
                [sys.executable, "manage.py", "db_worker", "--batch", "--queue-name", "*",
                 "--interval", "0", "--no-startup-delay", "--no-reload",
                 "--worker-id", f"worker-{n}"],
                cwd=ROOT, env=environ, stdout=log.open("wb"), stderr=subprocess.STDOUT)
            for n, log in zip((1, 2), logs, strict=True)
        ]
        for worker in workers:
            worker.wait(timeout=300)
        received = list(sink.messages)

    assert [worker.returncode for worker in workers] == [0, 0], [
        log.read_text()[-2000:] for log in logs]
    ids = Counter(email.message_from_bytes(raw)["Message-ID"] for raw in received)
    assert len(received) == EMAILS
    assert max(ids.values()) == 1
    assert set(OutgoingMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    # The deliveries (a worker's start also begins the scheduler's chain, whose next tick
    # waits, claimed by nobody yet).
    tasks = list(DBTaskResult.objects.filter(task_path__endswith=".deliver_message"))
    assert len(tasks) == EMAILS
    assert all(len(task.worker_ids) == 1 for task in tasks)  # claimed once, each
    shares = Counter(task.worker_ids[0] for task in tasks)
    assert set(shares) == {"worker-1", "worker-2"}, shares  # both really worked
