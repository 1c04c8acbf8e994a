"""Lists of ``bytes`` sent to PostgreSQL as binary arrays: how encrypted rows are inserted
in bulk.

On PostgreSQL, Django 5.2's ``bulk_create`` sends each column as one array parameter and
inserts ``SELECT * FROM UNNEST(...)``. psycopg dumps a list given through Django's ``%s``
placeholder as a text-format array literal, whatever its elements: every envelope of an
encrypted column was hex-escaped and quoted by the driver and parsed back by the server.
Inserting 10,000 rows of ten encrypted answers cost the server 0.81 CPU-seconds against
0.35 for the same rows as plain text (docs/performance.md, "2026-12-07, later: writes");
the same arrays in binary format cost it about a third of that.

``install`` (a ``connection_created`` receiver) gives each new PostgreSQL connection that
binds parameters on the server a list dumper that sends a list whose elements are ``bytes``
as a binary ``bytea[]``, and hands every other list to psycopg's own text dumper exactly as
before. The server receives the same array of the same bytes either way; only the wire
format changes. Django's client-side binding cursor (``DATABASE_PREPARED_STATEMENTS`` off)
quotes parameters into the SQL text and is left as it is.
"""

from __future__ import annotations

from functools import cache
from typing import Any


def install(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Fit a new server-binding PostgreSQL connection with the bytes-array dumper (see the
    module docstring). Any other connection is left as it is."""
    if connection.vendor != "postgresql":
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    raw = connection.connection
    if not issubclass(raw.cursor_factory, ServerBindingCursor):
        return
    raw.adapters.register_dumper(list, _bytes_aware_list_dumper())


@cache
def _bytes_aware_list_dumper() -> type:
    from psycopg.adapt import PyFormat
    from psycopg.types.array import ListBinaryDumper, ListDumper

    class BytesAwareListDumper(ListDumper):
        """psycopg's text list dumper (registered for ``%s`` and ``%t``), except that a
        list of ``bytes`` given through ``%s`` is dumped as a binary array."""

        def get_key(self, obj: list[Any], format: PyFormat) -> Any:
            if format is PyFormat.AUTO and _holds_bytes(self, obj, format):
                return (ListBinaryDumper, bytes)
            return super().get_key(obj, format)

        def upgrade(self, obj: list[Any], format: PyFormat) -> Any:
            if format is PyFormat.AUTO and _holds_bytes(self, obj, format):
                return ListBinaryDumper(self.cls, self._tx).upgrade(obj, PyFormat.BINARY)
            return super().upgrade(obj, format)

    return BytesAwareListDumper


def _holds_bytes(dumper: Any, obj: list[Any], format: Any) -> bool:
    """Whether the list's first non-null element is ``bytes``, found as psycopg's own list
    dumpers find it (their ``_find_list_element``, not public API: a psycopg upgrade that
    changes it fails tests/portal/test_bytea_arrays.py)."""
    return isinstance(dumper._find_list_element(obj, format), bytes)
