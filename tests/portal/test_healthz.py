"""/healthz answers load balancers: 200 with a database, 503 without one."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.test import Client

from tests.subprocesses import run_python

PROBE = (
    "import django, json; django.setup(); from django.test import Client; "
    "r = Client().get('/healthz'); print(json.dumps([r.status_code, r.json()]))"
)


@pytest.mark.django_db
def test_healthz_ok_when_the_database_answers(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "database_url",
    [
        "sqlite:////nonexistent-directory/portal.sqlite3",
        # Nothing listens on port 1: a PostgreSQL server that is down.
        "postgres://postgres@127.0.0.1:1/portal",
    ],
)
def test_healthz_503_when_the_database_is_down(database_url: str) -> None:
    import os

    environ = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_ENV": "test",
        "DATABASE_URL": database_url,
    }
    result = run_python(PROBE, environ)
    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert body == {"status": "unavailable"}


QUEUE_PROBE = PROBE.replace("'/healthz'", "'/healthz/queue'")


def test_healthz_queue_503_unavailable_when_the_database_is_down() -> None:
    """The queue lives in the database: without it, the queue's check says so (and
    ``/healthz`` above says the same for the web server)."""
    import os

    environ = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_ENV": "test",
        "DATABASE_URL": "sqlite:////nonexistent-directory/portal.sqlite3",
    }
    result = run_python(QUEUE_PROBE, environ)
    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == HTTPStatus.SERVICE_UNAVAILABLE
    assert body == {"status": "unavailable"}
