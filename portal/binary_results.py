"""Binary results from PostgreSQL for the queries that load encrypted rows.

psycopg asks for results in PostgreSQL's text format unless told otherwise, and Django never
tells it otherwise. In text format a ``bytea`` column travels as hex, twice the bytes of the
envelope, and the driver unescapes it again: loading encrypted rows cost about twice the
plain rows' load (docs/performance.md, "Encrypted fields against their floor"). In binary
format the envelope travels as its own bytes.

How:

* ``binary_results()`` marks the queries run inside it. ``EncryptedQuerySet`` runs its
  fetch inside it, so every list of encrypted rows (and what it prefetches) arrives in
  binary; every other query keeps the text format.
* ``install`` (a ``connection_created`` receiver) gives each new PostgreSQL connection a
  cursor class that asks for binary results while the mark is set, and a loader for the
  one type whose binary form would otherwise load differently from what Django gets in
  text: ``jsonb``, given as its JSON text (Django decodes it itself). Every other type the
  portal stores (uuid, text, integers, booleans, dates, timestamps in the session's UTC,
  numeric, bytea) loads to the same Python value in both formats.
* Only with server-side binding (``DATABASE_PREPARED_STATEMENTS``, on by default): Django's
  client-side binding cursor quotes parameters into the SQL text and is left as it is.

Nothing about what is stored changes: the same rows, the same ciphertext, the same values
in Python; tests/portal/test_binary_results.py compares both formats row by row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

_BINARY = ContextVar("portal_binary_results", default=False)
_JSONB_VERSION = 1


@contextmanager
def binary_results() -> Iterator[None]:
    """Ask PostgreSQL for binary results for the queries run inside the block."""
    token = _BINARY.set(True)
    try:
        yield
    finally:
        _BINARY.reset(token)


def install(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Fit a new PostgreSQL connection that binds its parameters on the server with the
    binary-results cursor and loaders (see the module docstring). Any other connection is
    left as it is."""
    if connection.vendor != "postgresql":
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    raw = connection.connection
    if raw.cursor_factory is not ServerBindingCursor:
        return
    raw.cursor_factory = _binary_cursor_class()
    raw.adapters.register_loader("jsonb", _jsonb_text_loader())


@cache
def _binary_cursor_class() -> type:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class BinaryResultsCursor(ServerBindingCursor):
        """Django's server-binding cursor, asking for binary results inside
        ``binary_results()``."""

        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                    binary: bool | None = None) -> Any:
            if binary is None and _BINARY.get():
                binary = True
            return super().execute(  # type: ignore[misc]  # Django's class is unstubbed
                query, params, prepare=prepare, binary=binary)

    return BinaryResultsCursor


@cache
def _jsonb_text_loader() -> type:
    from psycopg import DataError
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    class JsonbTextBinaryLoader(Loader):
        """``jsonb`` in binary format (a version byte, then the JSON text) as the text,
        which is what Django's JSONField decodes, as it gets it in text format."""

        format = Format.BINARY

        def load(self, data: Any) -> str:
            if data[:1] != bytes([_JSONB_VERSION]):
                raise DataError("jsonb in a binary format this portal does not know")
            return bytes(data[1:]).decode("utf-8")

    return JsonbTextBinaryLoader
