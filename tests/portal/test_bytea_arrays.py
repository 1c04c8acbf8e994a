"""Bulk inserts send columns of ciphertext to PostgreSQL as binary arrays, and store exactly
the same bytes as before; every other list still travels as psycopg sends it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer

from portal.crypto.datakeys import key_scope
from portal.crypto.envelope import is_envelope
from portal.roles import Role
from tests.cryptoapp.models import Specimen
from tests.factories import UserFactory
from tests.helpers import raw_column

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'",
                       reason="PostgreSQL only (SQLite has no parameter formats)"),
]

BYTEA_ARRAY_OID = 1001
# Bytes a text-format array literal must escape: NUL, backslash, quotes, braces, commas,
# spaces, high bytes.
AWKWARD = [b"\x00", b"\\", b'"', b"{}", b",", b" ", bytes(range(256)), b""]


def _dumper(value: list[Any]) -> Any:
    connection.ensure_connection()
    return Transformer(connection.connection).get_dumper(value, PyFormat.AUTO)


def _select_back(sql: str, value: list[Any]) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(sql, [value])
        return [row[0] for row in cursor.fetchall()]


def test_a_list_of_bytes_is_a_binary_bytea_array() -> None:
    dumper = _dumper([os.urandom(40), None, b"x"])
    assert dumper.format == pq.Format.BINARY
    assert dumper.oid == BYTEA_ARRAY_OID


@pytest.mark.parametrize("value", [["plain text"], [1, 2], [None, "text"], []])
def test_every_other_list_is_dumped_by_psycopgs_text_dumper_as_before(value: list[Any]) -> None:
    assert _dumper(value).format == pq.Format.TEXT


def test_awkward_bytes_and_nulls_come_back_byte_for_byte() -> None:
    sent = [*AWKWARD, None, os.urandom(300)]
    back = _select_back("SELECT unnest(%s::bytea[])", sent)
    assert [None if value is None else bytes(value) for value in back] == sent


def test_texts_with_array_syntax_in_them_still_come_back_unchanged() -> None:
    sent = ['a "quoted", {braced} \\ text', "", "NULL", None, "ünïcode ✓"]
    assert _select_back("SELECT unnest(%s::text[])", sent) == sent


@contextmanager
def insert_parameter_formats() -> Iterator[list[int]]:
    """The format each list parameter of every INSERT in the block is sent in, as the
    connection's own adapters dump it."""
    formats: list[int] = []

    def spy(execute: Callable[..., Any], sql: str, params: Any, many: bool,
            context: dict[str, Any]) -> Any:
        if sql.lstrip().upper().startswith("INSERT") and params:
            formats.extend(_dumper(param).format for param in params if isinstance(param, list))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        yield formats


def test_a_bulk_insert_sends_its_ciphertext_in_binary_and_stores_the_envelopes_whole() -> None:
    owner = UserFactory(role=Role.CLIENT)
    rows = [Specimen(owner=owner, text=f"answer {number}", other_text="\x00 and \\ too",
                     plain="plain") for number in range(30)]
    with key_scope(), insert_parameter_formats() as formats:
        Specimen.objects.bulk_create(rows)
    # Every column went as one array (UNNEST): the two holding ciphertext in binary; the
    # others (ids, owner ids, plain text, and the encrypted columns left NULL, whose
    # elements have no type) in text, as psycopg sends them.
    assert len(formats) == 11
    assert formats.count(pq.Format.BINARY) == 2
    for row in rows:
        stored = raw_column(Specimen, "text", row.pk)
        assert stored is not None and is_envelope(stored)
    with key_scope():
        loaded = {row.pk: row for row in Specimen.objects.all()}
        for row in rows:
            assert loaded[row.pk].text == row.text
            assert loaded[row.pk].other_text == "\x00 and \\ too"
            assert loaded[row.pk].char is None
