"""Shared machinery of the evidence runner: the run's context (work folder, fresh keys, the
portal's environment, cleanup), subprocesses with time limits, PostgreSQL databases made and
dropped, and the result each part hands back.

Nothing here imports Django: the portal runs in child processes, each with the environment
it is given, so one run can read a database with the real keys and then, in the restore
drill, with different ones.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence.mailsink import MailSink

ROOT = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
BIN = PYTHON.parent
PG_ARGS = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
# A Redis database of the run's own (rate-limit counters, used TOTP codes), emptied at the
# start and the end so that runs never see each other's counters.
REDIS_URL = "redis://127.0.0.1:6379/12"
# Environment passed through to the portal's processes; nothing else leaks in (a stray
# DATABASE_URL or key in the caller's shell must not change what is measured).
# The shell's own variables, and the database tuning an operator may set
# (docs/deployment.md), so that a run with prepared statements off can be compared with one
# with them on: `DATABASE_PREPARED_STATEMENTS=false python -m evidence.journey_cpu`.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "DATABASE_PREPARED_STATEMENTS",
                  "DATABASE_PREPARE_THRESHOLD")


@dataclass(frozen=True)
class Target:
    """One promise, what was measured, and whether it held. A ``fatal`` target is a
    correctness check: missing it fails the run. The others are goals, reported."""

    name: str
    wanted: str
    measured: str
    met: bool
    fatal: bool


@dataclass
class PartResult:
    """What a part of the run hands back: its section of docs/evidence.md and targets."""

    title: str
    markdown: str
    targets: list[Target] = field(default_factory=list)
    crashed: str = ""

    @property
    def ok(self) -> bool:
        """No crash, and every correctness check met."""
        return not self.crashed and all(t.met for t in self.targets if t.fatal)


def new_key() -> str:
    """A 32-byte key, base64 (as docs/deployment.md generates them)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def fresh_keys() -> dict[str, str]:
    """Every secret the portal needs, new and random: ``SECRET_KEY``, a one-key master
    keyring ``mk1``, the blind-index key and the audit key. Nothing is written to disk;
    they live in this process and the environments of its children only."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PORTAL_MASTER_KEYS": f"mk1:{new_key()}",
        "PORTAL_ACTIVE_MASTER_KEY_ID": "mk1",
        "PORTAL_BLIND_INDEX_KEY": new_key(),
        "PORTAL_AUDIT_KEY": new_key(),
    }


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """End a process the run started, with its process group (gunicorn's workers, Locust's
    greenlets): SIGTERM, then SIGKILL after ``timeout`` seconds."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


@dataclass
class Context:
    """One evidence run: where it works, the portal's environment, what it ran, and what
    must be undone at the end (``cleanup``, unwound even when a part fails)."""

    workdir: Path
    keys: dict[str, str]
    mail: MailSink
    clients: int
    cleanup: contextlib.ExitStack
    think: tuple[float, float] = (2.0, 6.0)
    spawn_rate: float = 1.0
    conn_max_age: int = 0
    commands: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)

    def portal_env(self, database: str, *, keys: dict[str, str] | None = None,
                   db_port: int = 5432, **extra: str) -> dict[str, str]:
        """The production environment of docs/deployment.md for ``database`` (on the
        PostgreSQL server at ``db_port``), with the run's keys (or ``keys``), the run's Redis
        database and the local mail sink."""
        env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
        env.update(keys or self.keys)
        env.update({
            "PORTAL_ENV": "production",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{db_port}/{database}",
            "REDIS_URL": REDIS_URL,
            "ALLOWED_HOSTS": "127.0.0.1",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.mail.port),
            "EMAIL_USE_TLS": "false",
            "DEFAULT_FROM_EMAIL": "portal@evidence.test",
            "TRUSTED_PROXY_COUNT": "1",
            "LOG_LEVEL": "WARNING",
            "DATABASE_CONN_MAX_AGE": str(self.conn_max_age),
            "PYTHONPATH": str(ROOT),
        })
        env.update(extra)
        return env

    def run(self, argv: list[str], *, env: dict[str, str] | None = None, timeout: float,
            record: str = "", check: bool = True,
            stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
        """Run a command from the project folder with a time limit. ``record`` is how the
        command is shown in docs/evidence.md (empty: not shown)."""
        if record:
            self.commands.append(record)
            print(f"[evidence] $ {record}", file=sys.stderr, flush=True)
        completed = subprocess.run(  # noqa: S603 - our own argv, never a shell
            argv, cwd=ROOT, env=env, timeout=timeout, check=False, text=True,
            stdout=stdout, stderr=subprocess.PIPE,
        )
        if check and completed.returncode != 0:
            raise RuntimeError(f"{shlex.join(argv[:3])} … exited {completed.returncode}: "
                               f"{completed.stderr.strip()[-800:]}")
        return completed

    def manage(self, database: str, *args: str, keys: dict[str, str] | None = None,
               db_port: int = 5432, timeout: float = 300, check: bool = True,
               record: bool = True) -> subprocess.CompletedProcess[str]:
        """``python manage.py ...`` against ``database``."""
        shown = f"python manage.py {shlex.join(args)}   # DATABASE_URL=…/{database}"
        return self.run([str(PYTHON), "manage.py", *args], env=self.portal_env(
                        database, keys=keys, db_port=db_port), timeout=timeout, check=check,
                        record=shown if record else "")

    def django_task(self, database: str, task: str, *arguments: Any,
                    keys: dict[str, str] | None = None, db_port: int = 5432,
                    timeout: float = 300) -> dict[str, Any]:
        """Run ``evidence.tasks`` in a child process against ``database`` (with the run's
        keys, or ``keys``) and return its JSON answer."""
        completed = self.run(
            [str(PYTHON), "-m", "evidence.tasks", task, json.dumps(list(arguments))],
            env=self.portal_env(database, keys=keys, db_port=db_port), timeout=timeout,
        )
        return dict(json.loads(completed.stdout.strip().splitlines()[-1]))

    def start(self, argv: list[str], *, env: dict[str, str], log: Path,
              record: str) -> subprocess.Popen[bytes]:
        """Start a long-running process in a session of its own (stopped with its whole
        group at cleanup), output to ``log``."""
        self.commands.append(record)
        print(f"[evidence] $ {record} &", file=sys.stderr, flush=True)
        handle = self.cleanup.enter_context(log.open("wb"))
        process = subprocess.Popen(  # noqa: S603 - our own argv, never a shell
            argv, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.cleanup.callback(stop_process, process)
        return process

    def own_redis(self) -> None:
        """Empty the run's own Redis database (never another) now and at cleanup."""
        import redis

        def flush() -> None:
            redis.Redis.from_url(REDIS_URL).flushdb()

        flush()
        self.cleanup.callback(flush)

    def collect_static(self, database: str, *, db_port: int = 5432) -> None:
        """``collectstatic`` once a run (production serves the collected files), removed at
        cleanup unless the folder was there before."""
        if self.state.get("static_collected"):
            return
        static_root = ROOT / "staticfiles"
        if not static_root.exists():
            self.cleanup.callback(shutil.rmtree, static_root, ignore_errors=True)
        self.manage(database, "collectstatic", "--noinput", db_port=db_port)
        self.state["static_collected"] = True

    def create_database(self, name: str) -> None:
        """A new empty database ``name`` (an old one of that name is dropped first); it is
        dropped again at cleanup."""
        self.drop_database(name)
        self.run(["createdb", *PG_ARGS, name], timeout=60)
        self.cleanup.callback(self.drop_database, name)

    def drop_database(self, name: str) -> None:
        self.run(["dropdb", *PG_ARGS, "--if-exists", "--force", name], timeout=60)


def wait_until_healthy(port: int, process: subprocess.Popen[bytes], seconds: float) -> float:
    """Poll ``/healthz`` until it answers 200; returns the seconds it took. Gives up after
    ``seconds`` or when the server process ends."""
    started = time.monotonic()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz")
    while time.monotonic() - started < seconds:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up (see its log).")
        with contextlib.suppress(OSError, urllib.error.URLError), \
                urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310  # nosec B310 - fixed http://127.0.0.1 URL
            if response.status == 200:
                return time.monotonic() - started
        time.sleep(0.25)
    raise RuntimeError(f"gunicorn did not become healthy within {seconds:.0f} s.")
