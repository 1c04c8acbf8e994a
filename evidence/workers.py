"""Task workers beside the evidence run's servers, and waiting for the emails they send.

The portal sends no email in a request: ``notify`` writes an outbox row and a task, and a
worker (``manage.py db_worker``) renders and sends it. So wherever the evidence counts emails
at the mail sink, workers run beside gunicorn (``start_workers``), as docs/deployment.md runs
them, each with a log in the work folder and stopped with the run's other processes, and the
run waits for the outbox to be empty (``wait_for_outbox``) before counting.

The runner reads the queue with a plain PostgreSQL connection (psycopg, never Django): how
many outbox rows are in each status, and the ids of every row, which are the emails'
Message-IDs.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import psycopg

from evidence.context import PYTHON, Context, stop_process

# The queries below name the outbox (portal.models.OutgoingMessage: portal_outgoingmessage)
# and the queue (django_tasks_db's django_tasks_database_dbtaskresult) literally.
WAITING = ("pending", "sending")


def worker_argv(worker_id: str) -> list[str]:
    """``manage.py db_worker`` as docs/deployment.md runs it: every queue, no reloader, no
    random start-up delay."""
    return [str(PYTHON), "manage.py", "db_worker", "--queue-name", "*", "--no-reload",
            "--no-startup-delay", "--worker-id", worker_id]


def start_worker(ctx: Context, database: str, name: str, *, db_port: int = 5432,
                 settings: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """One worker process against ``database`` with the run's keys (and ``settings``, more
    environment), its output in ``<workdir>/worker-<name>.log``; stopped at cleanup if still
    running."""
    env = ctx.portal_env(database, db_port=db_port)
    env.update(settings or {})
    shown = " ".join(f"{key}={value}" for key, value in (settings or {}).items())
    return ctx.start(worker_argv(f"evidence-{name}"), env=env,
                     log=ctx.workdir / f"worker-{name}.log",
                     record=f"python manage.py db_worker --queue-name '*' --no-reload "
                            f"--no-startup-delay   # worker {name} {shown}".rstrip())


def start_workers(ctx: Context, database: str, count: int, *, prefix: str,
                  db_port: int = 5432,
                  settings: Mapping[str, str] | None = None) -> list[subprocess.Popen[bytes]]:
    """``count`` workers (``<prefix>-1`` ...)."""
    return [start_worker(ctx, database, f"{prefix}-{number}", db_port=db_port,
                         settings=settings) for number in range(1, count + 1)]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM (the worker finishes the task in hand, then exits), SIGKILL after 15 s."""
    for worker in workers:
        stop_process(worker)


@dataclass(frozen=True)
class Outbox:
    """The outbox of one database at one moment: rows per status."""

    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def waiting(self) -> int:
        """Rows not yet sent nor given up."""
        return sum(self.by_status.get(status, 0) for status in WAITING)

    def count(self, status: str) -> int:
        return self.by_status.get(status, 0)


def _connect(database: str, db_port: int) -> psycopg.Connection:
    return psycopg.connect(host="127.0.0.1", port=db_port, user="postgres", dbname=database,
                           autocommit=True, connect_timeout=10)


def outbox(database: str, *, db_port: int = 5432) -> Outbox:
    """Outbox rows per status, now."""
    with _connect(database, db_port) as connection:
        rows = connection.execute(
            "SELECT status, count(*) FROM portal_outgoingmessage GROUP BY status").fetchall()
    return Outbox({str(status): int(count) for status, count in rows})


def message_ids(database: str, *, db_port: int = 5432) -> set[str]:
    """The Message-ID of every email the portal decided to send (one per outbox row:
    ``<row id@intake-portal>``, as ``OutgoingMessage.message_id_header`` writes it)."""
    with _connect(database, db_port) as connection:
        rows = connection.execute("SELECT id FROM portal_outgoingmessage").fetchall()
    return {f"<{row_id}@intake-portal>" for (row_id,) in rows}


def ids_in_status(database: str, status: str, *, db_port: int = 5432) -> set[str]:
    """The Message-IDs of the outbox rows in ``status`` now."""
    with _connect(database, db_port) as connection:
        rows = connection.execute("SELECT id FROM portal_outgoingmessage WHERE status = %s",
                                  (status,)).fetchall()
    return {f"<{row_id}@intake-portal>" for (row_id,) in rows}


def attempts_of(database: str, *, db_port: int = 5432) -> dict[str, int]:
    """Each outbox row's attempts, by Message-ID."""
    with _connect(database, db_port) as connection:
        rows = connection.execute("SELECT id, attempts FROM portal_outgoingmessage").fetchall()
    return {f"<{row_id}@intake-portal>": int(attempts) for row_id, attempts in rows}


def tasks_in_status(database: str, status: str, *, db_port: int = 5432) -> Counter[str]:
    """Queue rows in ``status`` (``READY``, ``RUNNING``, ...) by task (the function's name)."""
    with _connect(database, db_port) as connection:
        rows = connection.execute(
            "SELECT task_path, count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE status = %s GROUP BY task_path", (status,)).fetchall()
    return Counter({str(path).rsplit(".", 1)[-1]: int(count) for path, count in rows})


def count_deliveries(expected: set[str], received: Counter[str]) -> dict[str, int]:
    """The emails the outbox holds (``expected`` Message-IDs) against what the sink received
    (``MailSink.message_ids``): how many arrived once, never, more than once, and how many
    arrived that no outbox row explains."""
    return {
        "expected": len(expected),
        "once": sum(received[mid] == 1 for mid in expected),
        "missing": sum(received[mid] == 0 for mid in expected),
        "duplicated": sum(received[mid] > 1 for mid in expected),
        "unexplained": sum(count for mid, count in received.items() if mid not in expected),
    }


def wait_for_outbox(database: str, *, timeout: float, db_port: int = 5432,
                    poll: float = 0.5) -> tuple[Outbox, float]:
    """Poll until no outbox row is waiting (every email sent or given up), at most
    ``timeout`` seconds; the last reading and the seconds waited."""
    started = time.monotonic()
    while True:
        seen = outbox(database, db_port=db_port)
        waited = time.monotonic() - started
        if seen.waiting == 0 or waited >= timeout:
            return seen, waited
        time.sleep(poll)
