"""The base class for models with encrypted fields, and its guarded QuerySet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models, router

from portal.binary_results import binary_results
from portal.crypto.datakeys import prefetch_active_keys, prefetch_keys
from portal.crypto.envelope import MAX_KEY_ID_BYTES, VERSION
from portal.crypto.errors import EncryptedFieldUsageError
from portal.crypto.fields import (
    SEALED_VALUES_ATTR,
    TRANSIENT_ATTRS,
    EncryptedMixin,
    owner_of,
    seal_loaded_values,
    sealed_positions,
    take_envelopes,
)
from portal.crypto.owners import PRACTICE_OWNER, Owner, client_owner


def _encrypted_path(model: type[models.Model], path: str) -> str | None:
    """The encrypted field a ``a__b__c`` path reaches, if any (walking relations)."""
    current = model
    for part in path.lstrip("-").split("__"):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if isinstance(field, EncryptedMixin):
            return f"{current.__name__}.{field.name}"
        if not field.is_relation or field.related_model is None:
            return None
        current = field.related_model
    return None


class EncryptedQuerySet(models.QuerySet):
    """Refuses, loudly, what cannot work on ciphertext: ordering and raw value reads.

    ``with_data_keys()`` makes a list fetch every data key its rows need in one query (and
    unwrap each once) instead of one query per owner as fields are first read.
    """

    _prefetch_data_keys = False

    def with_data_keys(self) -> EncryptedQuerySet:
        clone = self._chain()  # type: ignore[attr-defined]  # private QuerySet API, not stubbed
        clone._prefetch_data_keys = True
        return clone

    def _clone(self) -> EncryptedQuerySet:
        clone = super()._clone()  # type: ignore[misc]  # private QuerySet API, not stubbed
        clone._prefetch_data_keys = self._prefetch_data_keys
        return clone

    def _fetch_all(self) -> None:
        """Django's fetch, with the rows in PostgreSQL's binary format (``binary_results``:
        the envelopes as their own bytes, not hex), and the data keys read together when
        ``with_data_keys()`` asked for it."""
        already = self._result_cache is not None
        with binary_results():
            super()._fetch_all()
        if self._prefetch_data_keys and not already:
            prefetch_keys(_data_key_ids(self._result_cache))

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        """Django's ``bulk_create``, with the owners' active data keys looked up together
        first (``prefetch_active_keys``): sealing each row's values then needs no query of
        its own. A row whose owner is not set yet is left for ``pre_save`` to refuse, as
        before."""
        objs = list(objs)
        prefetch_active_keys(_owners(objs))
        return super().bulk_create(objs, *args, **kwargs)

    def _refuse(self, names: tuple[Any, ...], what: str) -> None:
        for name in names:
            if isinstance(name, str):
                hit = _encrypted_path(self.model, name)
                if hit:
                    raise EncryptedFieldUsageError(
                        f"{hit} is encrypted and cannot be used in {what}: the database only "
                        "holds ciphertext. Sort or read in Python after loading the objects."
                    )

    def order_by(self, *field_names: Any) -> EncryptedQuerySet:
        self._refuse(field_names, "order_by()")
        return super().order_by(*field_names)

    def values(self, *fields: Any, **expressions: Any) -> models.QuerySet[Any, dict[str, Any]]:
        self._refuse(fields or tuple(f.name for f in self.model._meta.concrete_fields), "values()")
        return super().values(*fields, **expressions)

    def values_list(self, *fields: Any, flat: bool = False, named: bool = False) -> Any:
        names = fields or tuple(f.name for f in self.model._meta.concrete_fields)
        self._refuse(names, "values_list()")
        return super().values_list(*fields, flat=flat, named=named)

    def distinct(self, *field_names: Any) -> EncryptedQuerySet:
        self._refuse(field_names, "distinct()")
        return super().distinct(*field_names)


def _owners(rows: list[Any]) -> Iterator[Owner]:
    """The key owner of each row that names one."""
    for row in rows:
        try:
            yield owner_of(row)
        except EncryptedFieldUsageError:
            continue


def _data_key_ids(rows: list[Any] | None) -> set[str]:
    """The data key ids named in the headers of the rows' still-encrypted values (no
    decryption: the key id is plaintext by design)."""
    ids: set[str] = set()
    for row in rows or ():
        for value in getattr(row, "__dict__", {}).get(SEALED_VALUES_ATTR, {}).values():
            if len(value) > 2 and value[0] == VERSION:
                length = value[1]
                if 0 < length <= MAX_KEY_ID_BYTES:
                    ids.add(value[2:2 + length].decode("ascii", "replace"))
    return ids


class EncryptedModel(models.Model):
    """A model with encrypted fields. Subclasses name their key owner:

    ``encryption_owner_field = "user"`` (a FK to the client's user: the client's data key), or
    ``None`` for practice-level data (the practice data key). Primary keys must be UUIDs with a
    default, so they exist before the first save and can be bound into the ciphertext.
    """

    encryption_owner_field: str | None = None
    # Its ``from_db`` keeps a row's envelopes aside (its encrypted fields then need no
    # converter: ``EncryptedMixin.get_db_converters``).
    seals_loaded_values = True

    objects = EncryptedQuerySet.as_manager()

    class Meta:
        abstract = True

    def __getstate__(self) -> dict[str, Any]:
        """Pickles never carry a data key (or per-row lookups) along with the row."""
        state = super().__getstate__()
        for name in TRANSIENT_ATTRS:
            state.pop(name, None)
        return state

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Django's ``save``, with unread values saved as the loaded values they are.

        Django takes every attribute absent from ``__dict__`` for a deferred field and then
        saves only the others, as an UPDATE that must find the row: a copy (``pk = None``)
        of a row with unread values would fail. So when the caller names no
        ``update_fields``, forces no insert, and nothing but unread values is absent, the
        row is saved whole, as Django saves any fully loaded row: an UPDATE, else an
        INSERT, with each unread value written back as stored (or re-sealed for a new pk
        by its field's ``pre_save``). Every other call is Django's own."""
        sealed = self.__dict__.get(SEALED_VALUES_ATTR)
        if (args or not sealed or kwargs.get("update_fields") is not None
                or kwargs.get("force_insert") or self.get_deferred_fields()):
            super().save(*args, **kwargs)
            return
        # What Django's save() does before its deferred-field branch, then its save_base().
        self._prepare_related_fields_for_save(  # type: ignore[attr-defined]  # not in the stubs
            operation_name="save")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        self.save_base(using=using, force_update=kwargs.get("force_update", False))

    @classmethod
    def from_db(  # type: ignore[override]  # django-stubs 6 adds Django 6's fetch_mode
        cls, db: str | None, field_names: Any, values: Any
    ) -> EncryptedModel:
        """A row as loaded: its envelopes kept aside, unopened (``seal_loaded_values``)."""
        positions = sealed_positions(cls, field_names, len(values))
        values, taken = take_envelopes(values, positions)
        instance = super().from_db(db, field_names, values)
        seal_loaded_values(instance, taken)
        return instance

    def get_deferred_fields(self) -> set[str]:
        """Django's deferred fields (those absent from ``__dict__``), less the sealed
        values: they are loaded, only not opened yet, so ``save()`` writes them back and
        ``refresh_from_db()`` reloads them like any loaded field."""
        deferred = super().get_deferred_fields()
        sealed = self.__dict__.get(SEALED_VALUES_ATTR)
        return deferred.difference(sealed) if sealed else deferred

    @classmethod
    def rows_owned_by(cls, owner: Owner) -> models.QuerySet:
        """The rows whose values are sealed under ``owner``'s data key: what re-encrypting
        that owner must re-seal. A model whose owner is decided per row overrides this
        together with ``get_encryption_owner``."""
        if cls.encryption_owner_field is None:
            return cls.objects.all() if owner == PRACTICE_OWNER else cls.objects.none()
        if owner[0] != PRACTICE_OWNER[0]:
            return cls.objects.filter(**{f"{cls.encryption_owner_field}_id": owner[1]})
        return cls.objects.none()

    def get_encryption_owner(self) -> Owner:
        """Whose data key protects this row (see the class docstring)."""
        name = self.encryption_owner_field
        if name is None:
            return PRACTICE_OWNER
        attname = f"{name}_id"
        # Read from the row itself; getattr only when it was deferred (Django loads it).
        owner_id = self.__dict__.get(attname)
        if owner_id is None:
            owner_id = getattr(self, attname)
        if owner_id is None:
            raise EncryptedFieldUsageError(
                f"{type(self).__name__} needs its {self.encryption_owner_field} before saving."
            )
        return client_owner(owner_id)


def batches_by_pk(queryset: models.QuerySet, size: int) -> Iterator[list[Any]]:
    """Keyset pagination by primary key: no OFFSET scans, safe while rows change."""
    last = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        rows = list(page[:size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def encrypted_fields(model: type[models.Model]) -> list[EncryptedMixin]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]


def encrypted_models() -> list[type[EncryptedModel]]:
    """Every installed model with encrypted fields."""
    from django.apps import apps

    return [
        model for model in apps.get_models()
        if issubclass(model, EncryptedModel) and encrypted_fields(model)
    ]
