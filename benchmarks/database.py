"""A throwaway database for one benchmark run, so no real or test table is ever touched.

* No ``DATABASE_URL``, or a SQLite one: a fresh SQLite file in a temporary directory (a file,
  not ``:memory:``, so writes pay for real I/O as they would in use).
* A PostgreSQL URL: a new database ``portal_bench_<random>`` on the same server, created over
  a maintenance connection to the database the URL names and dropped afterwards.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

POSTGRES_ENGINE = "django.db.backends.postgresql"
SQLITE_ENGINE = "django.db.backends.sqlite3"


class UnsupportedDatabaseError(RuntimeError):
    """The benchmarks run on SQLite and PostgreSQL only."""


@contextmanager
def throwaway_database(url: str | None) -> Iterator[str]:
    """Yield the URL of an empty database like ``url`` (SQLite if None), removed afterwards."""
    engine = dj_database_url.parse(url)["ENGINE"] if url else SQLITE_ENGINE
    if engine == SQLITE_ENGINE:
        with _sqlite_file() as sqlite_url:
            yield sqlite_url
    elif engine == POSTGRES_ENGINE:
        assert url is not None
        with _postgres_database(url) as postgres_url:
            yield postgres_url
    else:
        raise UnsupportedDatabaseError(
            f"Benchmarks run on SQLite or PostgreSQL, not {engine!r}: set DATABASE_URL to a "
            "postgres:// URL or leave it unset."
        )


@contextmanager
def _sqlite_file() -> Iterator[str]:
    directory = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    try:
        yield f"sqlite:///{directory / 'bench.sqlite3'}"
    finally:
        _close_django_connections()
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def _postgres_database(url: str) -> Iterator[str]:
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    name = f"portal_bench_{secrets.token_hex(4)}"
    maintenance = psycopg.connect(
        dbname=config["NAME"] or "postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        autocommit=True,
    )
    try:
        maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield urlsplit(url)._replace(path=f"/{name}").geturl()
        finally:
            _close_django_connections()
            maintenance.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    finally:
        maintenance.close()


def _close_django_connections() -> None:
    """Django may still hold the throwaway database open; release it before removing it."""
    from django.conf import settings
    from django.db import connections

    if settings.configured:
        connections.close_all()
