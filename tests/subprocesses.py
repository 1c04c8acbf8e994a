"""Run Django in a child process with a chosen environment.

Settings are read once at import, so refusing bad configuration can only be observed in a
fresh process, exactly as an operator would see it at start-up.
"""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def production_environ(**overrides: str | None) -> dict[str, str]:
    """A complete, valid production environment (as docs/deployment.md describes);
    ``NAME=None`` removes a variable."""
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.example.org",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "EMAIL_HOST": "smtp.example.org",
        "PORTAL_MASTER_KEYS": f"k2026:{_key()}",
        "PORTAL_BLIND_INDEX_KEY": _key(),
        "PORTAL_AUDIT_KEY": _key(),
    }
    for name, value in overrides.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    return environ


def _run(argv: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_python(code: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with this interpreter in the project folder; capture its output."""
    return _run(["-c", code], environ)


def run_manage(args: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py`` with ``args``; capture its output."""
    return _run(["manage.py", *args], environ)


def fixed_key_environ(**overrides: str | None) -> dict[str, str]:
    """A test-mode environment whose keys are fixed, so several processes (a set-up
    script, app servers, a checking script) share one database and can read each other's
    ciphertext; ``NAME=None`` removes a variable."""
    environ = production_environ(PORTAL_ENV="test", ALLOWED_HOSTS="127.0.0.1,localhost",
                                 REDIS_URL=None, EMAIL_HOST=None)
    environ.update({name: value for name, value in overrides.items() if value is not None})
    for name in [name for name, value in overrides.items() if value is None]:
        environ.pop(name, None)
    return environ


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(environ: dict[str, str], *, workers: int, threads: int,
             log: Path) -> Iterator[str]:
    """The portal served by gunicorn (``workers`` processes of ``threads`` threads each) on
    a free local port, its output written to ``log``; yields the base URL and stops the
    server on leaving."""
    port = _free_port()
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--threads", str(threads), "--timeout", "120"],
            cwd=ROOT, env=environ, stdout=output, stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/healthz", timeout=5):  # noqa: S310
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(log.read_text()[-2000:]) from None
                    time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)
