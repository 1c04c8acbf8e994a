"""Queue throughput (issue 16): how many tasks one worker finishes a second, beside the rate
of plain INSERTs on the same database.

- **INSERT baseline**: ``inserts`` single-row INSERTs into a two-column table, each in its
  own transaction (autocommit), as each enqueue is: what the database gives any writer.
- **No-op task**: ``noop_tasks`` tasks of ``benchmarks.queue_tasks.do_nothing`` enqueued
  (timed too: the enqueue rate), then one worker (``django_tasks_db``'s ``Worker``, in
  this process, as ``manage.py db_worker --batch`` runs it, its per-task INFO lines off)
  works until the queue is empty.
  A task is a locked SELECT, a claim (UPDATE), the call and the result (UPDATE).
- **Email**: ``emails`` emails queued through ``notify`` (an encrypted outbox row and a
  task each), then the worker renders and sends each over SMTP to a local mail sink
  (``evidence.mailsink``) and marks its row sent: the whole of ``deliver_message``.

Checks: every task ended ``SUCCESSFUL``; the sink received each email's Message-ID once and
every outbox row is ``sent``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from django.test import override_settings
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from benchmarks.common import check, say, stopwatch
from benchmarks.queue_tasks import do_nothing

# A line per task at INFO; a production worker logs at LOG_LEVEL (WARNING and up, say).
WORKER_LOGGERS = ("django_tasks", "django_tasks_db", "portal.mail")


@contextmanager
def _quiet_worker() -> Iterator[None]:
    """The worker's per-task INFO lines off while measuring (restored after)."""
    loggers = [logging.getLogger(name) for name in WORKER_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@dataclass(frozen=True)
class QueueResults:
    inserts: int
    insert_seconds: float
    noop_tasks: int
    enqueue_seconds: float
    noop_seconds: float
    noop_cpu_seconds: float
    emails: int
    queue_emails_seconds: float
    email_seconds: float
    email_cpu_seconds: float

    @property
    def inserts_per_second(self) -> float:
        return self.inserts / self.insert_seconds

    @property
    def enqueued_per_second(self) -> float:
        return self.noop_tasks / self.enqueue_seconds

    @property
    def noop_tasks_per_second(self) -> float:
        return self.noop_tasks / self.noop_seconds

    @property
    def emails_per_second(self) -> float:
        return self.emails / self.email_seconds


def _insert_baseline(inserts: int) -> float:
    """Seconds for ``inserts`` autocommitted single-row INSERTs into a throwaway table."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_queue_insert "
                       "(id varchar(32) PRIMARY KEY, note varchar(64))")
    try:
        rows = [(uuid.uuid4().hex, f"row {number}") for number in range(inserts)]
        with stopwatch() as watch, connection.cursor() as cursor:
            for row in rows:
                cursor.execute("INSERT INTO bench_queue_insert (id, note) VALUES (%s, %s)", row)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM bench_queue_insert")
            stored = cursor.fetchone()
        check(stored is not None and stored[0] == inserts, "the INSERT baseline lost rows")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_queue_insert")
    return watch.seconds


def _work_until_empty() -> tuple[float, float]:
    """(Seconds, and this process's CPU seconds) one worker takes to run every ready task
    (batch mode: it stops when none is left). The CPU time is what a busy shared machine
    does not inflate; it leaves out the PostgreSQL server's share."""
    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id="benchmark",
                    excluded_queue_names=[])
    cpu = time.process_time()
    with _quiet_worker(), stopwatch() as watch:
        worker.run()
    return watch.seconds, time.process_time() - cpu


def _all_successful(count: int, what: str) -> None:
    done = DBTaskResult.objects.filter(status="SUCCESSFUL").count()
    check(done == count, lambda: f"{what}: {done} of {count} tasks ended successfully")


def _emails(emails: int) -> tuple[float, float, float]:
    """(Seconds to queue ``emails`` through ``notify``, then the seconds and CPU seconds one
    worker takes to send them to a local sink)."""
    from evidence.mailsink import MailSink
    from portal.crypto.datakeys import key_scope
    from portal.mail import notify
    from portal.models import MessageStatus, OutgoingMessage, PracticeSettings

    practice = PracticeSettings.load()
    with MailSink() as sink, override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1", EMAIL_PORT=sink.port, EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False, EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD=""):
        with stopwatch() as queuing, key_scope():
            for number in range(emails):
                notify(f"bench.{number:05d}@example.com", template="consents/email/reminder",
                       context={"practice": practice})
        seconds, cpu_seconds = _work_until_empty()
        received = sink.message_ids()
    sent = OutgoingMessage.objects.filter(status=MessageStatus.SENT).count()
    check(sent == emails, lambda: f"emails: {sent} of {emails} outbox rows sent")
    check(len(received) == emails and max(received.values()) == 1,
          lambda: f"emails: the sink received {sum(received.values())} messages with "
                  f"{len(received)} Message-IDs for {emails} emails")
    return queuing.seconds, seconds, cpu_seconds


def run(*, inserts: int, noop_tasks: int, emails: int) -> QueueResults:
    """Measure on the current (throwaway, migrated, empty-queue) database."""
    DBTaskResult.objects.all().delete()
    say(f"queue: {inserts:,} INSERTs, {noop_tasks:,} no-op tasks, {emails:,} emails")
    insert_seconds = _insert_baseline(inserts)
    with stopwatch() as enqueue:
        for number in range(noop_tasks):
            do_nothing.enqueue(number)
    noop_seconds, noop_cpu = _work_until_empty()
    _all_successful(noop_tasks, "no-op")
    DBTaskResult.objects.all().delete()
    queue_emails_seconds, email_seconds, email_cpu = _emails(emails)
    _all_successful(emails, "emails")
    DBTaskResult.objects.all().delete()
    results = QueueResults(inserts, insert_seconds, noop_tasks, enqueue.seconds,
                           noop_seconds, noop_cpu, emails, queue_emails_seconds,
                           email_seconds, email_cpu)
    insert_rate = results.inserts_per_second
    say(f"queue on {connection.vendor}: INSERT {insert_rate:,.0f}/s, enqueue "
        f"{results.enqueued_per_second:,.0f}/s; one worker: no-op "
        f"{results.noop_tasks_per_second:,.0f} tasks/s (one task costs "
        f"{insert_rate / results.noop_tasks_per_second:.0f} INSERTs' time), email "
        f"{results.emails_per_second:,.0f}/s ({insert_rate / results.emails_per_second:.0f} "
        f"INSERTs); worker CPU {1000 * results.noop_cpu_seconds / results.noop_tasks:.1f} ms "
        f"a no-op task, {1000 * results.email_cpu_seconds / results.emails:.1f} ms an email")
    return results


def report(results: QueueResults) -> dict[str, float | int]:
    """The JSON keys of the queue benchmark."""
    return {
        "queue_inserts": results.inserts,
        "queue_inserts_per_second": round(results.inserts_per_second, 1),
        "queue_noop_tasks": results.noop_tasks,
        "queue_enqueued_per_second": round(results.enqueued_per_second, 1),
        "queue_noop_tasks_per_second": round(results.noop_tasks_per_second, 1),
        "queue_emails": results.emails,
        "queue_emails_queued_per_second": round(results.emails / results.queue_emails_seconds,
                                                1),
        "queue_emails_per_second": round(results.emails_per_second, 1),
        "queue_noop_worker_cpu_ms_per_task": round(
            1000 * results.noop_cpu_seconds / results.noop_tasks, 2),
        "queue_email_worker_cpu_ms_per_email": round(
            1000 * results.email_cpu_seconds / results.emails, 2),
        "queue_noop_ratio_vs_insert": round(
            results.noop_tasks_per_second / results.inserts_per_second, 3),
        "queue_email_ratio_vs_insert": round(
            results.emails_per_second / results.inserts_per_second, 3),
    }
