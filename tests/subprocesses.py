"""Run Django in a child process with a chosen environment.

Settings are read once at import, so refusing bad configuration can only be observed in a
fresh process, exactly as an operator would see it at start-up.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
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
