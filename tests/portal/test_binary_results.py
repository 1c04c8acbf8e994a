"""Encrypted rows arrive from PostgreSQL in binary format, and read exactly as in text."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model, QuerySet
from django.utils import timezone

from measures.models import CheckIn
from portal.binary_results import binary_results
from portal.crypto.datakeys import key_scope
from portal.models import User
from portal.roles import Role
from tests.cryptoapp.models import Specimen
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'",
                       reason="PostgreSQL only (SQLite has no result formats)"),
]

TEXT, BINARY = 0, 1


@contextmanager
def result_formats() -> Iterator[list[tuple[str, int]]]:
    """Every SELECT run in the block, with the format PostgreSQL sent its first column in,
    read from the real result after the query ran."""
    seen: list[tuple[str, int]] = []

    def spy(execute: Callable[..., Any], sql: str, params: Any, many: bool,
            context: dict[str, Any]) -> Any:
        result = execute(sql, params, many, context)
        pgresult = context["cursor"].cursor.pgresult
        if sql.lstrip().upper().startswith("SELECT") and pgresult and pgresult.nfields:
            seen.append((sql, pgresult.fformat(0)))
        return result

    with connection.execute_wrapper(spy):
        yield seen


def _loaded_state(row: Model) -> dict[str, Any]:
    """What a loaded row holds: its values, and its envelopes still sealed."""
    return {name: value for name, value in row.__dict__.items() if name != "_state"}


def test_encrypted_rows_arrive_in_binary_and_every_other_query_in_text() -> None:
    owner = UserFactory(role=Role.CLIENT)
    Specimen.objects.create(owner=owner, text="binary, please")
    with result_formats() as seen:
        rows = list(Specimen.objects.all())
        users = list(User.objects.filter(pk=owner.pk))
    assert len(rows) == 1 and len(users) == 1
    formats = {("portal_user" if '"portal_user"' in sql.split("FROM")[1] else "specimen"): kind
               for sql, kind in seen}
    assert formats == {"specimen": BINARY, "portal_user": TEXT}
    with key_scope():
        assert rows[0].text == "binary, please"


def test_rows_read_the_same_in_binary_as_in_text() -> None:
    """Each encrypted model's rows loaded by its own queryset (binary) and by Django's plain
    ``QuerySet`` over the same model (text): the same values, the same envelopes byte for
    byte, the same time zone, JSON as Django decodes it."""
    owner = UserFactory(role=Role.CLIENT)
    Specimen.objects.create(
        owner=owner, text="ünïcode ✓", char="short", day=datetime.date(2000, 2, 29),
        number=-7, flag=False, amount=Decimal("1.2300"), data={"nested": [1, "two"]},
        plain="in the clear")
    Specimen.objects.create(owner=owner)  # every encrypted value NULL
    now = timezone.now()
    CheckIn.objects.create(client=owner, instruments=["phq9", "gad7"], due_at=now,
                           expires_at=now + datetime.timedelta(days=5))
    for model in (Specimen, CheckIn):
        with result_formats() as seen:
            binary = {row.pk: _loaded_state(row) for row in model._default_manager.all()}
            plain: QuerySet[Model] = QuerySet(model=model)
            text = {row.pk: _loaded_state(row) for row in plain}
        assert [kind for _sql, kind in seen] == [BINARY, TEXT]
        assert binary == text and binary
        for state in binary.values():
            for value in state.values():
                if isinstance(value, datetime.datetime):
                    assert value.tzinfo is datetime.UTC
    with key_scope():
        check_in = CheckIn.objects.get(client=owner)
        assert check_in.instruments == ["phq9", "gad7"]
        assert check_in.due_at == now
        full = Specimen.objects.get(owner=owner, plain="in the clear")
        assert (full.text, full.data, full.amount) == ("ünïcode ✓", {"nested": [1, "two"]},
                                                       Decimal("1.2300"))


@pytest.mark.parametrize(
    ("sql_type", "value"),
    [
        ("jsonb", '{"b": [1, 2.5, null], "a": "ü"}'),
        ("timestamptz", datetime.datetime(2026, 12, 7, 1, 2, 3, 456789, tzinfo=datetime.UTC)),
        ("date", datetime.date(1999, 12, 31)),
        ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
        ("text", "plain ✓"),
        ("varchar", "short"),
        ("smallint", -3),
        ("integer", 2**31 - 1),
        ("bigint", 2**62),
        ("boolean", True),
        ("bytea", b"\x01\x00\xff envelope"),
        ("numeric", Decimal("12.3400")),
    ],
)
def test_each_type_the_portal_stores_loads_alike_in_both_formats(sql_type: str,
                                                                   value: Any) -> None:
    query = f"SELECT %s::{sql_type}, NULL::{sql_type}"
    params = [value]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        in_text = cursor.fetchone()
        with binary_results():
            cursor.execute(query, params)
            assert cursor.cursor.pgresult.fformat(0) == BINARY
            in_binary = cursor.fetchone()
    assert in_binary == in_text
    assert [type(item) for item in in_binary] == [type(item) for item in in_text]
    if sql_type == "timestamptz":
        assert in_binary[0].tzinfo is in_text[0].tzinfo
