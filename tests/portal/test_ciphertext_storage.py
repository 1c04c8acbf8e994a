"""PostgreSQL keeps ciphertext uncompressed and in the row (portal/crypto/storage.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from portal.crypto.datakeys import key_scope
from portal.crypto.models import encrypted_fields, encrypted_models
from portal.crypto.storage import TOAST_TUPLE_TARGET, ensure_ciphertext_storage
from portal.roles import Role
from tests.cryptoapp.models import Specimen
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'",
                       reason="PostgreSQL only (SQLite has no column storage settings)"),
]

LONG_ANSWER = "I have been sleeping badly since the move, and it shows at work. " * 5


def _query(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _storage(table: str) -> dict[str, str]:
    return dict(_query("SELECT attname, attstorage FROM pg_attribute WHERE attrelid = "
                       "to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
                       [connection.ops.quote_name(table)]))


def _toast_rows(table: str) -> int:
    (toast,), = _query("SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = "
                       "to_regclass(%s)", [connection.ops.quote_name(table)])
    (count,), = _query(f"SELECT count(*) FROM {toast}", [])  # noqa: S608 - a catalogue name
    return int(count)


def test_every_encrypted_column_is_never_compressed_and_every_plain_one_keeps_its_default(
) -> None:
    models = encrypted_models()
    assert Specimen in models and len(models) > 5
    for model in models:
        storage = _storage(model._meta.db_table)
        encrypted = {field.column for field in encrypted_fields(model)}
        for column, kind in storage.items():
            if column in encrypted:
                assert kind == "e", (model._meta.db_table, column)
        (options,), = _query("SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)",
                             [connection.ops.quote_name(model._meta.db_table)])
        assert f"toast_tuple_target={TOAST_TUPLE_TARGET}" in options
    assert _storage(Specimen._meta.db_table)["plain"] == "x"


def test_running_it_again_changes_nothing() -> None:
    assert ensure_ciphertext_storage() == []


def test_a_column_set_back_to_the_default_is_set_again_and_only_it() -> None:
    table = Specimen._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "text" SET STORAGE EXTENDED')
    assert ensure_ciphertext_storage() == [
        f'ALTER TABLE "{table}" ALTER COLUMN "text" SET STORAGE EXTERNAL']
    assert _storage(table)["text"] == "e"


def test_a_row_of_long_answers_is_stored_whole_and_reads_back() -> None:
    """Eight answers of over 300 bytes of ciphertext each: a row of about 3 KB, which
    PostgreSQL's default would have compressed in vain and then moved out in part to the
    TOAST relation. It stays in the table."""
    owner = UserFactory(role=Role.CLIENT)
    table = Specimen._meta.db_table
    before = _toast_rows(table)
    with key_scope():
        row = Specimen.objects.create(
            owner=owner, text=LONG_ANSWER, other_text=LONG_ANSWER, char="short",
            data={"answers": [LONG_ANSWER] * 4})
    assert _toast_rows(table) == before
    with key_scope():
        loaded = Specimen.objects.get(pk=row.pk)
        assert (loaded.text, loaded.other_text) == (LONG_ANSWER, LONG_ANSWER)
        assert loaded.data == {"answers": [LONG_ANSWER] * 4}
