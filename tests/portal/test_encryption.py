"""Field encryption: ciphertext at rest, exact round trips, binding, fail-closed errors."""

from __future__ import annotations

import datetime
import os
import pickle
import shutil
import subprocess
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import connection
from django.db.models import Field, Model, QuerySet
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from portal.crypto.datakeys import cipher_for, forget_active, key_scope
from portal.crypto.envelope import parse, seal
from portal.crypto.errors import (
    DecryptionError,
    EncryptedFieldUsageError,
    MalformedCiphertextError,
    UnknownKeyError,
)
from portal.crypto.fields import EncryptedTextField, associated_data, stored_envelope
from portal.crypto.owners import client_owner
from portal.models import DataKey, User
from portal.roles import Role
from tests.cryptoapp.models import PracticeNote, Specimen
from tests.factories import UserFactory, totp_secret_of
from tests.helpers import key_owner_of, sorted_values

if TYPE_CHECKING:
    from hypothesis.internal.charmap import CategoryName

CANARY = "canary-7f3a-plaintext-that-must-never-be-stored"

EVERY_FIELD: dict[str, Any] = {
    "text": CANARY,
    "char": "short words",
    "day": datetime.date(1984, 2, 29),
    "number": 123456789,
    "flag": True,
    "amount": Decimal("12.3400"),
    "data": {"answer": CANARY, "list": [1, 2, {"deep": "value"}]},
}


def _table_and_column(model: type[Model], field: str) -> tuple[str, str]:
    concrete = model._meta.get_field(field)
    assert isinstance(concrete, Field) and concrete.column is not None, field
    return model._meta.db_table, concrete.column


def _raw(model: type[Model], field: str, pk: Any) -> bytes | None:
    table, column = _table_and_column(model, field)
    sql = f"SELECT {column} FROM {table} WHERE id = %s"  # noqa: S608 - names from _meta
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk.hex if connection.vendor == "sqlite" else pk])
        row = cursor.fetchone()
    return None if row[0] is None else bytes(row[0])


def _write_raw(model: type[Model], field: str, pk: Any, value: bytes | None) -> None:
    table, column = _table_and_column(model, field)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608 - names from _meta
            [value, pk.hex if connection.vendor == "sqlite" else pk],
        )


@pytest.fixture
def owner(db: None) -> User:
    return UserFactory(role=Role.CLIENT)


@pytest.mark.django_db
def test_every_field_type_is_ciphertext_in_the_raw_column(owner: User) -> None:
    specimen = Specimen.objects.create(owner=owner, **EVERY_FIELD)
    for field, value in EVERY_FIELD.items():
        raw = _raw(Specimen, field, specimen.pk)
        assert raw is not None and raw[0] == 0x01, field
        assert str(value).encode() not in raw, field
        assert CANARY.encode() not in raw
    loaded = Specimen.objects.get(pk=specimen.pk)
    for field, value in EVERY_FIELD.items():
        assert getattr(loaded, field) == value
        assert type(getattr(loaded, field)) is type(value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("text", ""), ("number", 0), ("flag", False), ("amount", Decimal("0")),
     ("data", {}), ("data", []), ("data", 0), ("data", ""), ("data", False), ("text", None)],
)
def test_falsy_values_round_trip_distinctly(owner: User, field: str, value: Any) -> None:
    specimen = Specimen.objects.create(owner=owner, **{field: value})
    loaded = Specimen.objects.get(pk=specimen.pk)
    assert getattr(loaded, field) == value
    assert type(getattr(loaded, field)) is type(value)
    raw = _raw(Specimen, field, specimen.pk)
    assert (raw is None) == (value is None)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=40,
)
SURROGATES: tuple[CategoryName, ...] = ("Cs",)
unicode_text = st.text(
    alphabet=st.characters(blacklist_categories=SURROGATES), max_size=300
) | st.sampled_from(["مرحبا بالعالم", "שלום", "👩‍👩‍👧‍👦🏳️‍🌈", "e\u0301\u0302\u0303", "\u200f\u202e"])


@pytest.mark.django_db
@hypothesis_settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=unicode_text, data=json_values, number=st.integers(-(2**62), 2**62))
def test_round_trip_of_arbitrary_values(owner: User, text: str, data: Any, number: int) -> None:
    specimen = Specimen.objects.create(owner=owner, text=text, data=data, number=number)
    loaded = Specimen.objects.get(pk=specimen.pk)
    assert (loaded.text, loaded.data, loaded.number) == (text, data, number)


@pytest.mark.django_db
def test_large_json_round_trips(owner: User) -> None:
    big = {f"question_{i}": {"answer": "x" * 200, "scores": list(range(50))} for i in range(200)}
    specimen = Specimen.objects.create(owner=owner, data=big)
    assert Specimen.objects.get(pk=specimen.pk).data == big


@pytest.mark.django_db
def test_ciphertext_moved_to_another_row_does_not_decrypt(owner: User) -> None:
    first = Specimen.objects.create(owner=owner, text="first secret")
    second = Specimen.objects.create(owner=owner, text="second secret")
    _write_raw(Specimen, "text", second.pk, _raw(Specimen, "text", first.pk))
    with pytest.raises(DecryptionError):
        _ = Specimen.objects.get(pk=second.pk).text


@pytest.mark.django_db
def test_ciphertext_moved_to_another_field_does_not_decrypt(owner: User) -> None:
    specimen = Specimen.objects.create(owner=owner, text="in text", other_text="in other")
    _write_raw(Specimen, "other_text", specimen.pk, _raw(Specimen, "text", specimen.pk))
    loaded = Specimen.objects.get(pk=specimen.pk)
    assert loaded.text == "in text"
    with pytest.raises(DecryptionError, match="other_text"):
        _ = loaded.other_text


@pytest.mark.django_db
def test_tampered_or_truncated_ciphertext_fails_with_a_specific_error(owner: User) -> None:
    specimen = Specimen.objects.create(owner=owner, text="do not touch")
    stored = _raw(Specimen, "text", specimen.pk)
    assert stored is not None
    raw = bytearray(stored)
    for position in (len(raw) - 1, len(raw) - 20, 40):
        tampered = bytearray(raw)
        tampered[position] ^= 0x01
        _write_raw(Specimen, "text", specimen.pk, bytes(tampered))
        with pytest.raises(DecryptionError) as caught:
            _ = Specimen.objects.get(pk=specimen.pk).text
        assert "do not touch" not in str(caught.value)
    for truncated in (bytes(raw[:10]), bytes(raw[:1]), b"plain text, not ours"):
        _write_raw(Specimen, "text", specimen.pk, truncated)
        with pytest.raises(MalformedCiphertextError):
            _ = Specimen.objects.get(pk=specimen.pk).text


@pytest.mark.django_db
def test_a_later_value_of_a_row_is_checked_in_full_though_it_shares_the_first_ones_key(
    owner: User
) -> None:
    """A row opens its values in one pass, cutting each value that starts with the previous
    one's key header without parsing it again: a value cut short after that header (a nonce
    of 5 bytes, or nothing after it) still fails as malformed, one from another owner (another
    key) or another row still fails its tag, and the row's sound values still read."""
    specimen = Specimen.objects.create(owner=owner, text="first and sound", char="sound too",
                                       number=7, other_text="last")
    stranger = Specimen.objects.create(owner=UserFactory(role=Role.CLIENT), char="theirs")
    stored = _raw(Specimen, "char", specimen.pk)
    assert stored is not None
    header = stored[:2 + stored[1]]
    for truncated in (header + stored[len(header):len(header) + 5], header,
                      stored[:len(header) + 12 + 15]):
        _write_raw(Specimen, "char", specimen.pk, truncated)
        loaded = Specimen.objects.get(pk=specimen.pk)
        assert loaded.text == "first and sound"  # opens the row; char stays sealed
        with pytest.raises(MalformedCiphertextError, match=r"Specimen\.char"):
            _ = loaded.char
        assert loaded.number == 7 and loaded.other_text == "last"
    _write_raw(Specimen, "char", specimen.pk, _raw(Specimen, "char", stranger.pk))
    with pytest.raises(DecryptionError, match=r"Specimen\.char"):
        _ = Specimen.objects.get(pk=specimen.pk).char
    _write_raw(Specimen, "number", specimen.pk, stored)  # char's envelope, in number's place
    loaded = Specimen.objects.get(pk=specimen.pk)
    with pytest.raises(DecryptionError, match=r"Specimen\.number"):
        _ = loaded.number
    assert loaded.text == "first and sound"


def _reseal(model: type[Model], field: str, pk: Any, plaintext: bytes) -> bytes:
    """A value sealed with the real key of the row's stored ``field`` and its real associated
    data, around a ``plaintext`` that ``serialization.dumps`` would never write."""
    stored = _raw(model, field, pk)
    assert stored is not None
    envelope = parse(stored)
    with key_scope():
        cipher = cipher_for(envelope.key_id)
    aad = associated_data(model._meta.get_field(field), pk)  # type: ignore[arg-type]
    return seal(cipher, envelope.key_id, plaintext, aad)


@pytest.mark.django_db
@pytest.mark.parametrize("key_unwrapped", [True, False], ids=["key-in-scope", "key-to-read"])
@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_one_bad_value_of_a_row_fails_alone_and_the_rest_still_read(
    owner: User, position: str, key_unwrapped: bool
) -> None:
    """One bad value anywhere in a row (another version byte, a tag that fails, a plaintext
    that is not UTF-8 or has a type tag nobody wrote), with the row's key already unwrapped
    in the scope or still to be read: the bad value fails when it is read, naming its
    field, and again on the next read; every other value of the row reads."""
    texts = {"text": "the first", "char": "the middle", "other_text": "the last"}
    field = {"first": "text", "middle": "char", "last": "other_text"}[position]
    specimen = Specimen.objects.create(owner=owner, **texts)
    stored = _raw(Specimen, field, specimen.pk)
    assert stored is not None
    other_version = bytes([stored[0] ^ 0x02]) + stored[1:]
    flipped_tag = stored[:-1] + bytes([stored[-1] ^ 0x01])
    bad_values = [
        (other_version, MalformedCiphertextError),
        (flipped_tag, DecryptionError),
        (_reseal(Specimen, field, specimen.pk, b"s\xff\xfe not UTF-8"), DecryptionError),
        (_reseal(Specimen, field, specimen.pk, b"?an unknown type tag"), DecryptionError),
    ]
    key_id = parse(stored).key_id
    for bad, error in bad_values:
        _write_raw(Specimen, field, specimen.pk, bad)
        with key_scope():
            if key_unwrapped:
                cipher_for(key_id)
            loaded = Specimen.objects.get(pk=specimen.pk)
            with pytest.raises(error, match=rf"Specimen\.{field}:"):
                _ = getattr(loaded, field)
            for name, text in texts.items():
                if name != field:
                    assert getattr(loaded, name) == text
            # The bad value stays sealed and fails again on the next read.
            assert stored_envelope(loaded, field) == bad
            with pytest.raises(error):
                _ = getattr(loaded, field)
        _write_raw(Specimen, field, specimen.pk, stored)
    with key_scope():
        if key_unwrapped:
            cipher_for(key_id)
        loaded = Specimen.objects.get(pk=specimen.pk)
        assert [getattr(loaded, name) for name in texts] == list(texts.values())
        assert stored_envelope(loaded, field) is None


@pytest.mark.django_db
def test_a_row_whose_every_value_names_another_format_version_is_refused(owner: User) -> None:
    """The version byte is not authenticated by the cipher: a row whose values all carry
    another one, under a key already unwrapped, is refused value by value all the same."""
    texts = {"text": "one", "char": "two", "other_text": "three"}
    specimen = Specimen.objects.create(owner=owner, **texts)
    key_id = ""
    for name in texts:
        stored = _raw(Specimen, name, specimen.pk)
        assert stored is not None
        key_id = parse(stored).key_id
        _write_raw(Specimen, name, specimen.pk, bytes([stored[0] ^ 0x02]) + stored[1:])
    with key_scope():
        cipher_for(key_id)
        loaded = Specimen.objects.get(pk=specimen.pk)
        for name in texts:
            with pytest.raises(MalformedCiphertextError, match=rf"Specimen\.{name}:"):
                _ = getattr(loaded, name)


@pytest.mark.django_db
def test_a_row_with_values_under_two_keys_opens_each_under_its_own(owner: User) -> None:
    """Values sealed before and after the owner's key was rotated share a row: each opens
    under the key its own envelope names."""
    specimen = Specimen.objects.create(owner=owner, text="under the old key", number=1)
    old_key = DataKey.objects.get(owner_id=owner.pk)
    with key_scope():
        DataKey.objects.filter(pk=old_key.pk).update(retired_at=timezone.now())
        forget_active(client_owner(owner.pk))
        loaded = Specimen.objects.get(pk=specimen.pk)
        loaded.other_text, loaded.data = "under the new key", {"n": 2}
        loaded.save()
    raw_old, raw_new = (_raw(Specimen, name, specimen.pk) for name in ("text", "other_text"))
    assert raw_old is not None and raw_new is not None
    assert parse(raw_old).key_id != parse(raw_new).key_id
    with key_scope() as cache:
        loaded = Specimen.objects.get(pk=specimen.pk)
        assert loaded.other_text == "under the new key"
        assert (loaded.text, loaded.number, loaded.data) == ("under the old key", 1, {"n": 2})
        assert cache.unwraps == 2  # each key once, as its first value named it


@pytest.mark.django_db
def test_wrong_master_key_fails_closed(owner: User) -> None:
    specimen = Specimen.objects.create(owner=owner, text="needs the right key")
    key_id = settings.PORTAL_ACTIVE_MASTER_KEY_ID
    with (
        override_settings(PORTAL_MASTER_KEYS={key_id: os.urandom(32)}),
        pytest.raises(DecryptionError),
    ):
        _ = Specimen.objects.get(pk=specimen.pk).text
    with (
        override_settings(PORTAL_MASTER_KEYS={"other": os.urandom(32)},
                          PORTAL_ACTIVE_MASTER_KEY_ID="other"),
        pytest.raises(UnknownKeyError, match=f"'{key_id}'"),
    ):
        _ = Specimen.objects.get(pk=specimen.pk).text


@pytest.mark.django_db
def test_wrapped_data_key_copied_to_another_owner_does_not_open(owner: User) -> None:
    other = UserFactory(role=Role.CLIENT)
    Specimen.objects.create(owner=owner, text="mine")
    theirs = Specimen.objects.create(owner=other, text="theirs")
    mine_key = DataKey.objects.get(owner_id=owner.pk)
    DataKey.objects.filter(owner_id=other.pk).update(wrapped_key=mine_key.wrapped_key)
    with pytest.raises(DecryptionError):
        _ = Specimen.objects.get(pk=theirs.pk).text


@pytest.mark.django_db
def test_reading_is_lazy_and_keys_are_unwrapped_once_per_scope(owner: User) -> None:
    for i in range(5):
        Specimen.objects.create(owner=owner, text=f"row {i}", number=i)
    with key_scope() as cache:
        rows = list(Specimen.objects.all())
        assert cache.unwraps == 0  # nothing touched, nothing decrypted
        assert sorted_values(row.number for row in rows) == [0, 1, 2, 3, 4]
        assert {row.text for row in rows} == {f"row {i}" for i in range(5)}
        assert cache.unwraps == 1


@pytest.mark.django_db
def test_a_bulk_insert_finds_its_owners_keys_with_one_query_and_seals_each_row_under_its_own(
) -> None:
    """Many rows of many clients: the clients' live keys are read together, not a query a
    client; a client without a key yet still gets one made; each row is sealed under its
    own client's key."""
    keyed = [UserFactory(role=Role.CLIENT) for _ in range(3)]
    for client in keyed:
        Specimen.objects.create(owner=client, text="first")
    new_client = UserFactory(role=Role.CLIENT)
    rows = [Specimen(owner=client, text=f"bulk {number}")
            for number, client in enumerate([*keyed, *keyed, new_client])]
    with key_scope(), CaptureQueriesContext(connection) as queries:
        Specimen.objects.bulk_create(rows)
    key_reads = [query["sql"] for query in queries.captured_queries
                 if query["sql"].lstrip().upper().startswith("SELECT")
                 and DataKey._meta.db_table in query["sql"]]
    # One read of the three live keys, then the new client's own look-up (none live, none
    # destroyed) before their key is made.
    assert len(key_reads) == 3
    for row in rows:
        raw = _raw(Specimen, "text", row.pk)
        assert raw is not None and key_owner_of(raw) == row.owner_id
    with key_scope():
        texts = [str(row.text) for row in Specimen.objects.all()]
        assert sorted(text for text in texts if text.startswith("bulk")) == [
            f"bulk {n}" for n in range(7)]


@pytest.mark.django_db
def test_the_first_read_opens_its_own_row_whole_and_no_other_row(owner: User) -> None:
    """Reading one field decrypts the rest of that row with it (one key lookup a row);
    rows nobody reads stay ciphertext in memory."""
    read = Specimen.objects.create(owner=owner, text="read me", number=1, data={"a": 1})
    Specimen.objects.create(owner=owner, text="never read", number=2)
    with key_scope():
        rows = list(Specimen.objects.all())
        opened = next(row for row in rows if row.pk == read.pk)
        untouched = next(row for row in rows if row.pk != read.pk)
        assert opened.number == 1
        assert opened.__dict__["text"] == "read me"
        assert opened.__dict__["data"] == {"a": 1}
        # Still sealed: out of the row's __dict__, their envelopes kept aside.
        assert "text" not in untouched.__dict__ and "number" not in untouched.__dict__
        assert stored_envelope(untouched, "text") is not None
        assert stored_envelope(opened, "text") is None
    assert "never read" not in repr(untouched.__dict__)


@pytest.mark.django_db
def test_saving_an_untouched_row_keeps_its_ciphertext(owner: User) -> None:
    specimen = Specimen.objects.create(owner=owner, text="unchanged", plain="a")
    before = _raw(Specimen, "text", specimen.pk)
    loaded = Specimen.objects.get(pk=specimen.pk)
    loaded.plain = "b"
    with key_scope() as cache:
        loaded.save()
        assert cache.unwraps == 0  # nothing was decrypted or re-encrypted
    assert _raw(Specimen, "text", specimen.pk) == before


@pytest.mark.django_db
def test_copied_instance_is_re_encrypted_for_its_new_row(owner: User) -> None:
    original = Specimen.objects.create(owner=owner, text="copy me")
    copy = Specimen.objects.get(pk=original.pk)
    copy.id = uuid.uuid4()
    copy._state.adding = True
    copy.save()
    assert Specimen.objects.get(pk=copy.pk).text == "copy me"
    assert Specimen.objects.get(pk=original.pk).text == "copy me"


@pytest.mark.django_db
def test_a_copy_saved_with_only_its_pk_cleared_is_inserted_whole_and_re_encrypted(
    owner: User,
) -> None:
    """Django's other copy idiom (``pk = None``, no ``_state.adding``): the unread values
    are not taken for deferred ones, so the copy is inserted with every value, each bound
    to its new row."""
    original = Specimen.objects.create(owner=owner, text="copy me", number=7)
    copy = Specimen.objects.get(pk=original.pk)
    copy.pk = None
    copy.save()
    assert copy.pk != original.pk
    with key_scope():
        saved = Specimen.objects.get(pk=copy.pk)
        assert (saved.text, saved.number) == ("copy me", 7)
    assert _raw(Specimen, "text", copy.pk) != _raw(Specimen, "text", original.pk)


@pytest.mark.django_db
def test_unread_values_count_as_loaded_and_deferred_ones_still_load(owner: User) -> None:
    """Sealed values are loaded, only not opened: Django sees no deferred field. A field
    deferred with ``defer()`` is one, and reading it loads and decrypts it; saving such a
    row leaves it as stored."""
    specimen = Specimen.objects.create(owner=owner, text="kept", number=3)
    assert Specimen.objects.get(pk=specimen.pk).get_deferred_fields() == set()
    partial = Specimen.objects.defer("text").get(pk=specimen.pk)
    assert partial.get_deferred_fields() == {"text"}
    before = _raw(Specimen, "text", specimen.pk)
    partial.number = 4
    partial.save()
    assert _raw(Specimen, "text", specimen.pk) == before
    assert partial.text == "kept"
    assert Specimen.objects.get(pk=specimen.pk).number == 4


@pytest.mark.django_db
def test_refreshing_an_unread_row_gives_the_values_stored_since(owner: User) -> None:
    specimen = Specimen.objects.create(owner=owner, text="before", number=1)
    loaded = Specimen.objects.get(pk=specimen.pk)
    elsewhere = Specimen.objects.get(pk=specimen.pk)
    elsewhere.text, elsewhere.number = "after", 2
    elsewhere.save()
    loaded.refresh_from_db(fields=["text"])
    assert loaded.text == "after"
    loaded.refresh_from_db()
    assert (loaded.text, loaded.number) == ("after", 2)


@pytest.mark.django_db
def test_a_value_assigned_before_the_row_is_opened_is_the_one_kept(owner: User) -> None:
    specimen = Specimen.objects.create(owner=owner, text="old", number=5)
    loaded = Specimen.objects.get(pk=specimen.pk)
    loaded.text = "new"
    assert loaded.number == 5  # opens the row's other values, not the one assigned
    assert loaded.text == "new"
    loaded.save()
    again = Specimen.objects.get(pk=specimen.pk)
    assert (again.text, again.number) == ("new", 5)


def _key_id_of(model: type[Model], field: str, pk: Any) -> str:
    stored = _raw(model, field, pk)
    assert stored is not None
    return parse(stored).key_id


@pytest.mark.django_db
def test_a_copy_read_then_saved_under_a_new_pk_is_bound_to_the_new_row(owner: User) -> None:
    with key_scope():
        copy = Specimen.objects.get(pk=Specimen.objects.create(owner=owner, text="x").pk)
        assert copy.text == "x"  # read (and the old pk remembered) before the copy
        copy.id = uuid.uuid4()
        copy._state.adding = True
        copy.text = "y"
        copy.save()
    assert Specimen.objects.get(pk=copy.pk).text == "y"


@pytest.mark.django_db
def test_a_row_given_to_another_owner_is_sealed_under_that_owners_key(owner: User) -> None:
    other = UserFactory(role=Role.CLIENT)
    with key_scope():
        specimen = Specimen.objects.create(owner=owner, text="first")
        first_key = _key_id_of(Specimen, "text", specimen.pk)
        specimen.owner = other
        specimen.text = "second"
        specimen.save()
    second_key = _key_id_of(Specimen, "text", specimen.pk)
    assert second_key != first_key
    assert DataKey.objects.get(pk=uuid.UUID(hex=second_key)).owner_id == other.pk


@pytest.mark.django_db
def test_a_key_retired_within_a_scope_is_not_used_for_the_next_save(owner: User) -> None:
    with key_scope():
        specimen = Specimen.objects.create(owner=owner, text="before")
        old_key = _key_id_of(Specimen, "text", specimen.pk)
        DataKey.objects.filter(pk=uuid.UUID(hex=old_key)).update(retired_at=timezone.now())
        forget_active(client_owner(owner.pk))
        specimen.text = "after"
        specimen.save()
    assert _key_id_of(Specimen, "text", specimen.pk) != old_key
    assert Specimen.objects.get(pk=specimen.pk).text == "after"


@pytest.mark.django_db
def test_a_pickled_row_carries_no_data_key(owner: User) -> None:
    with key_scope():
        specimen = Specimen.objects.create(owner=owner, text=CANARY)
        assert specimen.text == CANARY
        state = pickle.dumps(specimen)
    assert b"AESGCM" not in state
    assert pickle.loads(state).text == CANARY  # noqa: S301 - our own bytes, just made


@pytest.mark.django_db
def test_practice_data_uses_the_practice_key() -> None:
    note = PracticeNote.objects.create(body=CANARY)
    assert PracticeNote.objects.get(pk=note.pk).body == CANARY
    assert DataKey.objects.filter(owner_kind="practice").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        lambda: Specimen.objects.filter(text="x"),
        lambda: Specimen.objects.filter(**{"text__icontains": "x"}),
        lambda: Specimen.objects.filter(**{"number__gt": 1}),
        lambda: Specimen.objects.filter(**{"number__in": [1, 2]}),
        lambda: Specimen.objects.filter(**{"data__answer": "x"}),
        lambda: Specimen.objects.exclude(flag=True),
        lambda: Specimen.objects.order_by("text"),
        lambda: Specimen.objects.order_by("-day"),
        lambda: Specimen.objects.values("text"),
        lambda: Specimen.objects.values(),
        lambda: Specimen.objects.values_list("number", flat=True),
        lambda: User.objects.filter(client_profile__legal_name="x"),
        lambda: Specimen.objects.update(text="plaintext through update"),
    ],
)
def test_impossible_queries_raise_a_clear_error(owner: User, query: Any) -> None:
    Specimen.objects.create(owner=owner, text="x")
    with pytest.raises(EncryptedFieldUsageError, match="encrypted"):
        result = query()
        if isinstance(result, QuerySet):
            list(result)


@pytest.mark.django_db
def test_isnull_is_the_one_lookup_that_works(owner: User) -> None:
    Specimen.objects.create(owner=owner, text="x")
    Specimen.objects.create(owner=owner, text=None)
    assert Specimen.objects.filter(text__isnull=True).count() == 1


def test_unique_or_indexed_encrypted_fields_are_refused_at_definition() -> None:
    for option in ("unique", "db_index", "primary_key"):
        with pytest.raises(EncryptedFieldUsageError, match=option):
            EncryptedTextField(**{option: True})


@pytest.mark.django_db
def test_values_never_leak_through_repr_or_str(owner: User) -> None:
    specimen = Specimen.objects.create(owner=owner, text=CANARY)
    loaded = Specimen.objects.get(pk=specimen.pk)
    assert "text" not in vars(loaded) and CANARY not in repr(vars(loaded))
    assert CANARY not in repr(loaded) and CANARY not in str(loaded)


@pytest.mark.django_db
def test_mfa_secrets_are_encrypted_at_rest(db: None) -> None:
    staff = UserFactory(role=Role.CLINICIAN, totp=True)
    authenticator = Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP)
    stored = authenticator.data["secret"]
    assert stored.startswith("enc1:")
    assert totp_secret_of(staff) not in stored
    codes = Authenticator.objects.get(user=staff, type=Authenticator.Type.RECOVERY_CODES)
    assert codes.data["seed"].startswith("enc1:")


# Committed for real (pg_dump reads another connection); serialized rollback restores the
# role groups that migrations created, for the tests that follow.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_canary_appears_nowhere_in_the_database() -> None:
    owner = UserFactory(role=Role.CLIENT)
    Specimen.objects.create(owner=owner, **EVERY_FIELD)
    from portal.models import ClientProfile

    ClientProfile.objects.create(user=owner, legal_name=CANARY, address=CANARY)
    needle = CANARY.encode()
    if connection.vendor == "sqlite":
        dump = "\n".join(connection.connection.iterdump()).encode()
        assert needle.hex().encode() not in dump.lower()
    else:
        db = connection.settings_dict
        pg_dump = shutil.which("pg_dump") or "/usr/bin/pg_dump"
        result = subprocess.run(
            [pg_dump, "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432),
             "-U", db["USER"], "--data-only", db["NAME"]],
            capture_output=True, check=True, timeout=120,
        )
        dump = result.stdout
        assert b"portal_clientprofile" in dump
        assert needle.hex().encode() not in dump.lower()
    assert needle not in dump
    assert CANARY.encode()[:20] not in dump


@pytest.mark.django_db
def test_list_fetches_every_data_key_in_one_query() -> None:
    from django.db import connection as db_connection
    from django.test.utils import CaptureQueriesContext

    owners = [UserFactory(role=Role.CLIENT) for _ in range(5)]
    for owner in owners:
        Specimen.objects.create(owner=owner, text=f"for {owner.pk}")
    with key_scope() as cache, CaptureQueriesContext(db_connection) as queries:
        rows = list(Specimen.objects.with_data_keys())
        texts = {row.text for row in rows}
    assert texts == {f"for {owner.pk}" for owner in owners}
    key_queries = [q for q in queries.captured_queries if "portal_datakey" in q["sql"]]
    assert len(key_queries) == 1  # not one per owner
    assert cache.unwraps == 5  # each key unwrapped once
