"""Sealing a row whole on INSERT: the first encrypted field's ``pre_save`` seals every value
of the row in one pass and each field takes its own envelope. What an attacker or a reader
would notice if it went wrong: two values sharing a nonce, a value stored under a key or an
owner that is no longer the row's, a value written as it was before its last assignment."""

from __future__ import annotations

import datetime
import pickle
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.crypto.datakeys import forget_active, key_scope
from portal.crypto.envelope import parse
from portal.crypto.fields import EncryptedMixin, decrypt_for
from portal.crypto.owners import client_owner
from portal.models import DataKey, User
from portal.roles import Role
from tests.cryptoapp.models import Specimen
from tests.factories import UserFactory
from tests.helpers import key_owner_of, raw_column

ROW: dict[str, Any] = {
    "text": "what brings me here",
    "char": "short words",
    "day": datetime.date(1984, 2, 29),
    "number": 123456789,
    "flag": False,
    "amount": Decimal("12.3400"),
    "data": {"answer": "a list", "items": [1, 2, {"deep": "value"}]},
    "other_text": "the relationships in my life",
}


def _field(name: str) -> EncryptedMixin:
    field = Specimen._meta.get_field(name)
    assert isinstance(field, EncryptedMixin)
    return field


def _stored(row: Specimen, name: str) -> bytes:
    raw = raw_column(Specimen, name, row.pk)
    assert raw is not None, name
    return raw


@pytest.fixture
def owner(db: None) -> User:
    return UserFactory(role=Role.CLIENT)


@pytest.mark.django_db
def test_every_value_inserted_has_a_nonce_of_its_own_and_reads_back_as_written(
    owner: User,
) -> None:
    """Twenty rows of eight values, half by ``bulk_create`` and half by ``save()``: 160
    nonces, no two alike (a repeated nonce under one key would leak the XOR of two
    plaintexts and forge tags), and every value opens as its own field of its own row."""
    rows = [Specimen(owner=owner, **ROW) for _ in range(20)]
    with key_scope():
        Specimen.objects.bulk_create(rows[:10])
        for row in rows[10:]:
            row.save()
    nonces = [parse(_stored(row, name)).nonce for row in rows for name in ROW]
    assert len(nonces) == 160
    assert len(set(nonces)) == 160
    with key_scope():
        for loaded in Specimen.objects.filter(pk__in=[row.pk for row in rows]):
            assert {name: getattr(loaded, name) for name in ROW} == ROW


@pytest.mark.django_db
@pytest.mark.parametrize("empty", ["text", "other_text", "day"])
def test_a_row_whose_first_or_any_value_is_null_stores_the_others(
    owner: User, empty: str
) -> None:
    """The first encrypted field seals the row even when its own value is NULL; a NULL
    elsewhere is stored as NULL, not as an envelope."""
    values = {**ROW, empty: None}
    row = Specimen(owner=owner, **values)
    with key_scope():
        Specimen.objects.bulk_create([row])
    assert raw_column(Specimen, empty, row.pk) is None
    with key_scope():
        loaded = Specimen.objects.get(pk=row.pk)
        assert {name: getattr(loaded, name) for name in ROW} == values


@pytest.mark.django_db
def test_a_value_assigned_after_its_row_was_sealed_is_stored_as_assigned(owner: User) -> None:
    """The row's sweep started (its first field sealed every value), then a value changed
    before its own field came: that field seals the new value, never the old envelope."""
    row = Specimen(owner=owner, text="first", other_text="before")
    with key_scope():
        _field("text").pre_save(row, True)
        row.other_text = "after"
        sealed = _field("other_text").pre_save(row, True)
        assert decrypt_for(_field("other_text"), str(row.pk).encode(), sealed) == "after"


@pytest.mark.django_db
def test_an_interrupted_insert_leaves_nothing_that_a_later_insert_writes(owner: User) -> None:
    """An insert sealed the row and stopped (a failed statement, an exception in another
    field); then the row was given to another client and the first client's key was
    retired. The next insert seals afresh: each value under the new owner's active key,
    none of the envelopes made for the old owner."""
    other = UserFactory(role=Role.CLIENT)
    row = Specimen(owner=owner, **ROW)
    with key_scope():
        _field("text").pre_save(row, True)
        interrupted = _field("other_text").pre_save(row, True)
        assert key_owner_of(interrupted) == owner.pk
        row.owner = other
        row.save()
    for name in ROW:
        assert key_owner_of(_stored(row, name)) == other.pk, name
    with key_scope():
        assert Specimen.objects.get(pk=row.pk).other_text == ROW["other_text"]


@pytest.mark.django_db
def test_an_insert_after_the_owners_key_was_retired_uses_the_new_key(owner: User) -> None:
    """Same client, but their key retired (rotation) between an interrupted insert and the
    next one: nothing of the old key is written."""
    Specimen.objects.create(owner=owner, text="makes the key")
    old_key = DataKey.objects.get(owner_id=owner.pk, retired_at__isnull=True)
    row = Specimen(owner=owner, **ROW)
    with key_scope():
        _field("text").pre_save(row, True)
        DataKey.objects.filter(pk=old_key.pk).update(retired_at=timezone.now())
        forget_active(client_owner(owner.pk))
        row.save()
    key_ids = {parse(_stored(row, name)).key_id for name in ROW}
    assert len(key_ids) == 1
    assert key_ids != {old_key.pk.hex}
    assert DataKey.objects.get(pk=uuid.UUID(hex=key_ids.pop())).retired_at is None


@pytest.mark.django_db
def test_a_row_pickled_mid_insert_carries_no_envelope_and_no_key(owner: User) -> None:
    row = Specimen(owner=owner, **ROW)
    with key_scope():
        _field("text").pre_save(row, True)
        state = pickle.dumps(row)
    assert b"_encryption_presealed" not in state
    assert b"AESGCM" not in state
    assert pickle.loads(state).text == ROW["text"]  # noqa: S301 - our own bytes, just made


@pytest.mark.django_db
def test_a_bad_value_in_a_bulk_insert_is_refused_with_a_clear_message_and_nothing_written(
    owner: User,
) -> None:
    rows = [Specimen(owner=owner, **ROW), Specimen(owner=owner, **{**ROW, "day": "not a day"})]
    with key_scope(), pytest.raises(ValidationError) as refused, transaction.atomic():
        Specimen.objects.bulk_create(rows)
    assert "invalid date format" in str(refused.value)
    assert not Specimen.objects.exists()
