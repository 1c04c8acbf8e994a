"""Encrypted model fields that behave like their plain counterparts.

Each field subclasses the plain Django field (so forms, validation and ``max_length`` work on
the plaintext) but stores a binary envelope column. The value is encrypted in ``pre_save``,
when the row (its UUID primary key and its key owner) is known, and decrypted lazily by the
attribute descriptor the first time it is read: a row whose encrypted fields are never
touched is never decrypted; the first read of one field opens the row's other values too.

A loaded row keeps its envelopes beside its values (``SEALED_VALUES_ATTR``, one dict a row)
and leaves each encrypted attribute out of its ``__dict__`` until it is read: no object per
value, so a list of ten thousand rows gives the garbage collector ten thousand dicts to
track, not a hundred thousand. The descriptor is a non-data descriptor: it runs only while
a value is absent (sealed, or deferred), and an opened or assigned value is read from the
``__dict__`` at a plain attribute's cost. ``EncryptedModel.get_deferred_fields`` counts
sealed values as loaded, so Django saves and refreshes them as any loaded field.

Associated data binds every value to ``app_label.model.field`` and the row's primary key, so a
value copied to another row or another field does not decrypt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core import checks
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import DEFERRED
from django.db.models.query_utils import DeferredAttribute
from django.utils.functional import cached_property

from portal.crypto import envelope, serialization
from portal.crypto.datakeys import active_key_for, cipher_for, current_scope
from portal.crypto.errors import DecryptionError, EncryptedFieldUsageError
from portal.crypto.owners import Owner
from portal.crypto.serialization import TEXT_TAG

BOUND_PK_ATTR = "_encryption_bound_pk"
# attname -> the envelope as loaded, for a row's values still sealed. Never changed once
# set (copies of an instance may share it); an instance drops it when all are open.
SEALED_VALUES_ATTR = "_encryption_sealed_values"
_PK_BYTES_ATTR = "_encryption_pk_bytes"
_SEALING_KEY_ATTR = "_encryption_sealing_key"
# A new row's values sealed together on INSERT (``seal_row_for_insert``), each taken once
# by its field's ``pre_save``.
_PRESEALED_ATTR = "_encryption_presealed"
# Per-instance lookups that must never leave the process (a pickle, a cache).
TRANSIENT_ATTRS = (_PK_BYTES_ATTR, _SEALING_KEY_ATTR, _PRESEALED_ATTR)


class StoredCiphertext(bytes):
    """An envelope loaded into a model that does not seal its rows' values away (a
    migration's historical model, whose base is plain ``models.Model``): wrapped a value at
    a time by the field's converter and opened alone on first read. Its repr never shows
    the bytes."""

    def __repr__(self) -> str:
        return "<encrypted>"

    __str__ = __repr__


class EncryptedValue(bytes):
    """A freshly sealed envelope on its way to the database (the only thing that may be).
    No ``__dict__`` (``__slots__``): nothing can be hung on it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<encrypted>"

    __str__ = __repr__


def sealed_positions(model: type[models.Model], field_names: Sequence[str],
                     count: int) -> tuple[tuple[int, str], ...]:
    """Where a row's encrypted values sit among the ``count`` values ``from_db`` is given:
    (index, attname) pairs, worked out once per model and column list. As Django's own
    ``from_db`` reads them: every concrete field in order when ``count`` covers them all,
    else in ``field_names``' order."""
    concrete = model._meta.concrete_fields
    names = None if count == len(concrete) else tuple(field_names)
    found = _SEALED_POSITIONS.get((model, names))
    if found is None:
        order = [field.attname for field in concrete] if names is None else names
        encrypted = _row_fields(model)
        found = _SEALED_POSITIONS[(model, names)] = tuple(
            (index, name) for index, name in enumerate(order) if name in encrypted)
    return found


def take_envelopes(values: Sequence[Any], positions: tuple[tuple[int, str], ...]
                   ) -> tuple[list[Any], dict[str, bytes]]:
    """A loaded row's values with each envelope (at ``positions``) taken out and left
    ``DEFERRED`` for the model's ``__init__`` to skip, and the envelopes taken, by attname,
    for ``seal_loaded_values``. A NULL stays among the values: ``__init__`` sets it."""
    row = list(values)
    taken = {}
    for index, attname in positions:
        data = row[index]
        if data is not None:
            taken[attname] = data
            row[index] = DEFERRED
    return row, taken


def seal_loaded_values(instance: models.Model, taken: dict[str, bytes]) -> None:
    """Keep a loaded row's envelopes (``take_envelopes``) beside it, unopened, in its
    ``SEALED_VALUES_ATTR`` dict (their attributes stay out of its ``__dict__`` until read),
    and remember (``BOUND_PK_ATTR``) the primary key the row was loaded for, so a copied
    instance (new pk) re-encrypts instead of writing a value bound to the old row."""
    values = instance.__dict__
    values[BOUND_PK_ATTR] = instance.pk
    if taken:
        values[SEALED_VALUES_ATTR] = taken


def stored_envelope(instance: models.Model, attname: str) -> bytes | None:
    """The envelope ``attname`` was loaded with while it is still unread (else None):
    for checks that must see ciphertext without opening it (key prefetch, benchmarks)."""
    values = instance.__dict__
    if attname in values:
        return None
    return values.get(SEALED_VALUES_ATTR, {}).get(attname)


def holds_value(instance: models.Model, attname: str) -> bool:
    """Whether an encrypted attribute is non-null, told without opening the row: a
    sealed envelope or a value in the ``__dict__``."""
    value = instance.__dict__.get(attname)
    return value is not None or stored_envelope(instance, attname) is not None


def _aad_prefix(field: EncryptedMixin) -> bytes:
    """``app_label.model.field|``, computed once per field."""
    prefix = field.__dict__.get("_aad_prefix")
    if prefix is None:
        prefix = field._aad_prefix = f"{field.model._meta.label_lower}.{field.name}|".encode()
    return prefix


def associated_data(field: EncryptedMixin, pk: Any) -> bytes:
    """What a value is bound to: ``app_label.model.field|pk``. Changing any part breaks the
    GCM tag."""
    return _aad_prefix(field) + str(pk).encode()


def _pk_bytes(instance: models.Model, pk: Any) -> bytes:
    """``str(pk)`` as bytes, remembered on the instance while its pk stays the same (a
    row's ten fields share it). Any other pk, e.g. a copied instance's new one, is computed
    afresh."""
    cached = instance.__dict__.get(_PK_BYTES_ATTR)
    if cached is not None and (cached[0] is pk or cached[0] == pk):
        return cached[1]
    data = str(pk).encode()
    instance.__dict__[_PK_BYTES_ATTR] = (pk, data)
    return data


def owner_of(instance: models.Model) -> Owner:
    """The key owner the model names (``get_encryption_owner``): a client or the practice."""
    get_owner = getattr(instance, "get_encryption_owner", None)
    if get_owner is None:
        raise EncryptedFieldUsageError(
            f"{type(instance).__name__} has encrypted fields but no get_encryption_owner()."
        )
    return get_owner()


def _row_sealer(instance: models.Model, pk: Any) -> tuple[bytes, AESGCM, bytes]:
    """What sealing a value of ``instance`` (primary key ``pk``) needs: its owner's active
    data key as (envelope header, cipher), and ``str(pk)`` as bytes for the associated data.

    Inside a key scope the answer is remembered on the instance together with that scope,
    its generation, the owner and the pk, so saving a row of ten fields looks the key up
    and formats the pk once. A new scope (the key may have been rotated since), keys
    forgotten in this scope (retired, erased), a changed owner or a changed pk (a copied
    instance) look them up again; outside a scope nothing is remembered. Pickled copies
    leave it behind (``EncryptedModel.__getstate__``).
    """
    owner = owner_of(instance)
    scope = current_scope()
    values = instance.__dict__
    cached = values.get(_SEALING_KEY_ATTR)
    if (
        cached is not None
        and scope is not None
        and cached[0] is scope
        and cached[1] == scope.generation
        and cached[2] == owner
        and (cached[3] is pk or cached[3] == pk)
    ):
        return cached[4]
    key_id, cipher = active_key_for(owner)
    sealer = (envelope.header(key_id), cipher, _pk_bytes(instance, pk))
    if scope is not None:
        values[_SEALING_KEY_ATTR] = (scope, scope.generation, owner, pk, sealer)
    return sealer


def encrypt_for(instance: models.Model, field: EncryptedMixin, value: Any) -> EncryptedValue:
    """Seal ``value`` for ``instance.field`` under the owner's active data key."""
    pk = instance.pk
    if pk is None:
        raise EncryptedFieldUsageError(
            "Encrypted values are bound to the row's primary key; assign it before saving."
        )
    key_header, cipher, pk_bytes = _row_sealer(instance, pk)
    plaintext = serialization.dumps(value, field.serial_kind)
    aad = _aad_prefix(field) + pk_bytes
    return EncryptedValue(envelope.seal_under(cipher, key_header, plaintext, aad))


def _insert_group(field: EncryptedMixin) -> tuple[EncryptedMixin,
                                                  list[tuple[str, bytes, EncryptedMixin]]]:
    """The encrypted fields an INSERT writes together with ``field`` (those of the table
    that declares it, in the order Django saves them) as (attname, associated-data prefix,
    field), and the first of them: the one whose ``pre_save`` seals the row. Once per
    field."""
    group = field.__dict__.get("_insert_group")
    if group is None:
        table_fields = [candidate for candidate in field.model._meta.local_concrete_fields
                        if isinstance(candidate, EncryptedMixin)]
        group = field._insert_group = (table_fields[0], [
            (candidate.attname, _aad_prefix(candidate), candidate)
            for candidate in table_fields])
    return group


def seal_row_for_insert(instance: models.Model,
                        fields: list[tuple[str, bytes, EncryptedMixin]]) -> None:
    """Seal every plaintext value among ``fields`` of a row about to be inserted, in one
    pass: its owner, data key and pk bytes looked up once and its nonces drawn from the OS
    together (``envelope.fresh_nonces``), as ``open_row`` opens a row whole on read.
    Called by the first encrypted field's ``pre_save`` on an INSERT (``save()`` of a new
    row, or each row of ``bulk_create``), which Django runs field after field for one row
    with nothing between; each field's ``pre_save`` then takes its envelope. Whatever an
    earlier, interrupted insert of the row left is dropped first.

    A value that is NULL, or an envelope loaded from the database, is left to its own
    ``pre_save``, as is every value of a row without a pk (which refuses it). What is
    sealed names the value object it was made from: a field takes it only while the row
    still holds that very object.
    """
    values = instance.__dict__
    values.pop(_PRESEALED_ATTR, None)
    pk = instance.pk
    if pk is None:
        return
    # One nonce a field, drawn before knowing which are NULL (an unused one is dropped).
    nonces = envelope.fresh_nonces(len(fields))
    encrypt: Any = None
    key_header = pk_bytes = b""
    record = {}
    start = 0
    for attname, prefix, field in fields:
        value = values.get(attname)
        if value is None or isinstance(value, StoredCiphertext | EncryptedValue):
            continue
        if encrypt is None:
            key_id, cipher = active_key_for(owner_of(instance))
            encrypt, key_header, pk_bytes = cipher.encrypt, envelope.header(key_id), str(
                pk).encode()
        if type(value) is str and field.serial_kind == "str":
            plaintext = TEXT_TAG + value.encode()
        else:
            plaintext = serialization.dumps(_coerced(field, value), field.serial_kind)
        end = start + envelope.NONCE_BYTES
        nonce = nonces[start:end]
        start = end
        record[attname] = (value, EncryptedValue(
            key_header + nonce + encrypt(nonce, plaintext, prefix + pk_bytes)))
    if record:
        values[_PRESEALED_ATTR] = record


def _coerced(field: EncryptedMixin, value: Any) -> Any:
    """``value`` as the plain field would hold it ("1991-04-12" -> date); bad input is a
    clear ValidationError here, never a crash in the serialiser. A text field's str is
    already what its to_python() would return."""
    if type(value) is not str or field.serial_kind != "str":
        return field.to_python(value)
    return value


def decrypt_for(field: EncryptedMixin, pk_bytes: bytes, data: bytes) -> Any:
    """Open one stored value of ``field`` in the row whose pk is ``pk_bytes`` (or raise,
    never guess). The key is found by the id in the envelope, never by trying keys."""
    raw_key_id, nonce, sealed = envelope.split(data)
    cipher = cipher_for(envelope.key_id_text(raw_key_id))
    return serialization.loads(
        envelope.open_raw(cipher, nonce, sealed, _aad_prefix(field) + pk_bytes)
    )


_ROW_FIELDS: dict[type[models.Model], dict[str, tuple[bytes, EncryptedMixin]]] = {}
_SEALED_POSITIONS: dict[tuple[type[models.Model], tuple[str, ...] | None],
                        tuple[tuple[int, str], ...]] = {}


def _row_fields(model: type[models.Model]) -> dict[str, tuple[bytes, EncryptedMixin]]:
    """A model's encrypted fields, attname -> (associated-data prefix, field), once per
    model."""
    found = _ROW_FIELDS.get(model)
    if found is None:
        found = _ROW_FIELDS[model] = {
            field.attname: (_aad_prefix(field), field)
            for field in model._meta.concrete_fields if isinstance(field, EncryptedMixin)
        }
    return found


def open_row(instance: models.Model, wanted: EncryptedMixin) -> None:
    """Decrypt every still-sealed value of ``instance`` in one pass, the first time any of
    them is read: the row's pk bytes are built once and its data key looked up once (a row's
    values share their owner's key), not once a field.

    Each value is opened on its own: its own envelope, the key its envelope names (found
    by that id, never by trying keys), associated data of model, field and row. A value
    whose header is byte for byte the previous value's (same version, same key id) and
    that is long enough for a nonce and a tag is cut where that header ends, without
    parsing it again; any other value is parsed and checked in full (``envelope.split``).
    A value assigned since the row was loaded is not opened (its envelope is stale). A
    value that fails is left sealed and fails again, with its own field's name, when it is
    read; only a failure of ``wanted`` (the field being read) is raised here. Rows never
    read stay sealed.
    """
    values = instance.__dict__
    stored = values[SEALED_VALUES_ATTR]
    pk_bytes = _pk_bytes(instance, values.get(BOUND_PK_ATTR) or instance.pk)
    # The last parsed value's key: its header, where its nonce ends, the shortest envelope
    # under it, and its cipher's decrypt.
    key_header, nonce_start, nonce_end, shortest = b"", 0, 0, 0
    decrypt: Any = None
    still_sealed = False
    fields = _row_fields(type(instance))
    for attname, data in stored.items():
        if attname in values:
            continue
        aad_prefix, field = fields[attname]
        try:
            if (decrypt is not None and type(data) is bytes and len(data) >= shortest
                    and data.startswith(key_header)):
                nonce, sealed = data[nonce_start:nonce_end], data[nonce_end:]
            else:
                raw_key_id, nonce, sealed = envelope.split(data)
                decrypt = cipher_for(envelope.key_id_text(raw_key_id)).decrypt
                nonce_start = 2 + len(raw_key_id)
                key_header = bytes(data[:nonce_start])
                nonce_end = nonce_start + envelope.NONCE_BYTES
                shortest = nonce_end + envelope.TAG_BYTES
            try:
                plaintext = decrypt(nonce, sealed, aad_prefix + pk_bytes)
            except InvalidTag:
                raise envelope.tag_mismatch() from None
            if plaintext[:1] == TEXT_TAG:  # most values are text: decoded here, no call
                try:
                    values[attname] = plaintext[1:].decode()
                except UnicodeDecodeError:
                    raise serialization.format_error() from None
            else:
                values[attname] = serialization.loads(plaintext)
        except DecryptionError as error:
            if field is wanted:
                raise type(error)(f"{type(instance).__name__}.{field.name}: {error}") from None
            still_sealed = True
    if not still_sealed:
        del values[SEALED_VALUES_ATTR]


class EncryptedAttribute(DeferredAttribute):
    """The attribute of an encrypted field of an ``EncryptedModel``: decrypts on first
    read (the whole row, ``open_row``) and leaves the plaintext in the instance
    ``__dict__``.

    A non-data descriptor, as Django's own: Python calls it only while the value is absent
    from the ``__dict__``, that is sealed (open the row) or deferred (Django loads it). An
    opened or assigned value is then read at a plain attribute's cost.
    """

    def __get__(self, instance: models.Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        attname = self.field.attname
        values = instance.__dict__
        if attname not in values and attname in values.get(SEALED_VALUES_ATTR, ()):
            # Only encrypted fields of an EncryptedModel install this descriptor.
            open_row(instance, cast("EncryptedMixin", self.field))
            return values[attname]
        return super().__get__(instance, cls)


class StoredCiphertextAttribute(DeferredAttribute):
    """The attribute of an encrypted field of a model that does not seal its rows' values
    (a migration's historical model): each value is loaded as ``StoredCiphertext`` into the
    ``__dict__`` and opened alone on first read. A data descriptor (it defines ``__set__``),
    so reads pass through ``__get__`` although the value is in the ``__dict__``."""

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance: models.Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if type(value) is StoredCiphertext:
            value = self._open_one(instance, value)
        return value

    def _open_one(self, instance: models.Model, data: StoredCiphertext) -> Any:
        """Decrypt one stored value, bound to this field and the row's primary key."""
        field = cast("EncryptedMixin", self.field)
        pk = instance.__dict__.get(BOUND_PK_ATTR) or instance.pk
        try:
            value = decrypt_for(field, _pk_bytes(instance, pk), data)
        except DecryptionError as error:
            raise type(error)(f"{type(instance).__name__}.{field.name}: {error}") from None
        instance.__dict__[field.attname] = value
        return value


class EncryptedMixin:
    """Shared behaviour of every encrypted field. ``serial_kind`` picks the serialiser."""

    if TYPE_CHECKING:
        # Supplied by the models.Field each encrypted field also subclasses.
        model: type[models.Model]
        _insert_group: tuple[EncryptedMixin, list[tuple[str, bytes, EncryptedMixin]]]
        name: str
        attname: str
        column: str | None
        # Remembered on the field by _aad_prefix().
        _aad_prefix: bytes

    serial_kind = "str"
    descriptor_class: type = EncryptedAttribute
    _refused_options = ("unique", "db_index", "primary_key")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        for option in self._refused_options:
            if kwargs.get(option):
                raise EncryptedFieldUsageError(
                    f"Encrypted fields cannot be {option}: equal plaintexts have different "
                    "ciphertexts. Use a blind index for look-ups."
                )
        super().__init__(*args, **kwargs)
        # dumpdata would write plaintext (dates, numbers pass through unconverted): encrypted
        # fields are left out of Django serialisation. Backups use pg_dump (ciphertext).
        self.serialize = False

    def contribute_to_class(self, cls: Any, name: str, *args: Any, **kwargs: Any) -> None:
        """Install the field's attribute: ``EncryptedAttribute`` on a model that seals its
        rows' values (``EncryptedModel``), ``StoredCiphertextAttribute`` on any other (a
        migration's historical model), whose values arrive one by one as
        ``StoredCiphertext``."""
        if not getattr(cls, "seals_loaded_values", False):
            self.descriptor_class = StoredCiphertextAttribute
        super().contribute_to_class(cls, name, *args, **kwargs)  # type: ignore[misc]

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()  # type: ignore[misc]
        kwargs.pop("serialize", None)
        return name, path, args, kwargs

    # --- storage ---------------------------------------------------------------------
    def get_internal_type(self) -> str:
        # The column is binary: no backend converter may treat the envelope as a date etc.
        return "BinaryField"

    def db_type(self, connection: Any) -> str | None:
        return connection.data_types["BinaryField"] % {}

    def rel_db_type(self, connection: Any) -> str | None:  # pragma: no cover - never a FK
        return self.db_type(connection)

    def get_db_converters(self, connection: Any) -> list[Any]:
        """None for an ``EncryptedModel``: the envelope is loaded as the driver gives it
        (``bytes``) and its ``from_db`` seals it away for the row (``seal_loaded_values``),
        not a converter call a value. Any other model (a migration's historical one) gets
        each value wrapped as ``StoredCiphertext``."""
        if getattr(self.model, "seals_loaded_values", False):
            return []
        return [self.from_db_value]

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return StoredCiphertext(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, StoredCiphertext | EncryptedValue):
            return value
        return super().to_python(value)  # type: ignore[misc]

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        """Encrypt the plaintext now that the row's pk and owner are known.

        An untouched value loaded from this very row is written back as it was (no decrypt,
        no re-encrypt); one loaded for another pk (a copied instance) is opened and
        re-encrypted. A deferred value is loaded first, as reading it would.
        """
        values = model_instance.__dict__
        attname = self.attname
        if add:
            # An INSERT: the first encrypted field seals the row (``seal_row_for_insert``);
            # each field then takes its envelope, once (the last one taken drops the
            # record), if the row still holds the value it was made from.
            leader, group = self.__dict__.get("_insert_group") or _insert_group(self)
            if leader is self:
                seal_row_for_insert(model_instance, group)
            record = values.get(_PRESEALED_ATTR)
            if record is not None:
                entry = record.pop(attname, None)
                if not record:
                    del values[_PRESEALED_ATTR]
                if entry is not None and values.get(attname) is entry[0]:
                    return entry[1]
        if attname in values:
            value = values[attname]
            loaded: bytes | None = value if type(value) is StoredCiphertext else None
        else:  # sealed (its envelope kept aside) or deferred
            loaded = stored_envelope(model_instance, attname)
            value = loaded
        if loaded is not None:
            if values.get(BOUND_PK_ATTR) in (None, model_instance.pk):
                return EncryptedValue(loaded)
            value = getattr(model_instance, attname)  # opened under the pk it is bound to
        elif attname not in values:
            value = getattr(model_instance, attname)  # deferred: loaded, as a read would
        if value is None:
            return None
        return encrypt_for(model_instance, self, _coerced(self, value))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        """Only sealed envelopes reach SQL; plaintext here means a bypass of ``pre_save``."""
        if value is None:
            return None
        if isinstance(value, EncryptedValue | StoredCiphertext):
            return bytes(value)
        if hasattr(value, "resolve_expression"):
            # An expression (bulk_update's CASE of sealed values) is compiled on its own.
            return value
        raise EncryptedFieldUsageError(
            f"{self.model.__name__}.{self.name} is encrypted: plaintext cannot be written "
            "by QuerySet.update() or bulk_update(); save the instance instead."
        )

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        """``get_db_prep_value``, with what ``pre_save`` returns (a sealed envelope) let
        through at the cost of one type check."""
        if type(value) is EncryptedValue:
            return bytes(value)
        return self.get_db_prep_value(value, connection)

    # --- queries -------------------------------------------------------------------------
    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)  # type: ignore[misc]
        raise EncryptedFieldUsageError(
            f"{self.model.__name__}.{self.name} is encrypted: '{lookup_name}' look-ups are "
            "impossible (only isnull works). Search through a blind index."
        )

    def get_transform(self, name: str) -> Any:
        raise EncryptedFieldUsageError(
            f"{self.model.__name__}.{self.name} is encrypted: '{name}' cannot be queried."
        )

    def value_to_string(self, obj: models.Model) -> str:
        raise EncryptedFieldUsageError("Encrypted fields are not serialised by dumpdata.")

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)  # type: ignore[misc]
        meta = self.model._meta
        ordering = [str(name).lstrip("-") for name in meta.ordering or []]
        if self.name in ordering or self.attname in ordering:
            errors.append(checks.Error(
                f"{meta.label}.{self.name} is encrypted and cannot be in Meta.ordering.",
                obj=self, id="portal.E001",
            ))
        for index in meta.indexes:
            if self.name in getattr(index, "fields", []):
                errors.append(checks.Error(
                    f"{meta.label}.{self.name} is encrypted and cannot be indexed.",
                    obj=self, id="portal.E002",
                ))
        for constraint in meta.constraints:
            if self.name in getattr(constraint, "fields", ()):
                errors.append(checks.Error(
                    f"{meta.label}.{self.name} is encrypted and cannot be in a constraint.",
                    obj=self, id="portal.E003",
                ))
        return errors


class EncryptedTextField(EncryptedMixin, models.TextField):
    serial_kind = "str"


class EncryptedCharField(EncryptedMixin, models.CharField):
    """``max_length`` counts characters of the plaintext (validated before encryption)."""

    serial_kind = "str"


class EncryptedDateField(EncryptedMixin, models.DateField):
    serial_kind = "date"


class EncryptedIntegerField(EncryptedMixin, models.IntegerField):
    serial_kind = "int"

    @cached_property
    def validators(self) -> list[Any]:
        """A plain integer column's range. ``IntegerField`` asks the database for the range
        of its internal type, and ours is the ciphertext's (``BinaryField``), which has none:
        PostgreSQL's backend raised ``KeyError`` in ``manage.py check``."""
        low, high = connection.ops.integer_field_range("IntegerField")
        own = list(self._validators)  # type: ignore[attr-defined]  # Field's own, unstubbed
        return [*own, MinValueValidator(low), MaxValueValidator(high)]


class EncryptedBooleanField(EncryptedMixin, models.BooleanField):
    serial_kind = "bool"


class EncryptedDecimalField(EncryptedMixin, models.DecimalField):
    serial_kind = "decimal"


class EncryptedJSONField(EncryptedMixin, models.JSONField):
    serial_kind = "json"

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        return EncryptedMixin.get_db_prep_value(self, value, connection, prepared)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        return EncryptedMixin.get_db_prep_value(self, value, connection)
