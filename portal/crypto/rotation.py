"""Key rotation and crypto-shredding services (the commands are thin wrappers).

* ``rewrap_data_keys``: re-seal every data key under the active master key. Cost grows with
  the number of owners, not of encrypted values; field data is not touched.
* ``reencrypt_owners``: give owners new data keys and re-encrypt their values. One short
  transaction per owner (online: no long table lock); an owner is either fully done or not
  started, so an interrupted run is simply run again (idempotent, resumable).
* ``erase_owner_keys``: destroy an owner's data keys (crypto-shredding).

Writes go through ``bulk_update``/``QuerySet.update``: no model ``save()``, no signals.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from allauth.mfa.models import Authenticator
from django.db import connection, models, transaction
from django.utils import timezone

from portal.crypto import datakeys
from portal.crypto.datakeys import key_scope
from portal.crypto.fields import EncryptedMixin, encrypt_for
from portal.crypto.keystore import DataKey, KeyRotationRun
from portal.crypto.mfa import MFA_PURPOSE, MFA_SECRET_KEYS
from portal.crypto.models import (
    batches_by_pk,
    encrypted_fields,
    encrypted_models,
)
from portal.crypto.owners import PRACTICE_OWNER, Owner
from portal.crypto.providers import get_key_provider
from portal.crypto.status import referenced_data_key_ids
from portal.crypto.text import decrypt_text, encrypt_text, is_encrypted_text

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RotationResult:
    done: int
    total: int
    rows: int = 0  # values re-sealed (re-encryption only)


def rewrap_data_keys(
    *, batch_size: int = 1000, dry_run: bool = False, progress: Progress | None = None
) -> RotationResult:
    """Re-wrap every live or retired data key that the active master key did not wrap."""
    active = get_key_provider().active_key_id
    pending = DataKey.objects.exclude(master_key_id=active).filter(wrapped_key__isnull=False)
    total = pending.count()
    if dry_run:
        return RotationResult(0, total)
    done = 0
    for batch in batches_by_pk(pending, batch_size):
        with transaction.atomic():
            for key in batch:
                key.wrapped_key = datakeys.rewrap(key)
                key.master_key_id = active
            DataKey.objects.bulk_update(batch, ["wrapped_key", "master_key_id"])
        done += len(batch)
        if progress:
            progress(done, total)
    return RotationResult(done, total)


def _owners_to_reencrypt(cutoff: datetime.datetime) -> models.QuerySet:
    return DataKey.objects.filter(
        retired_at__isnull=True, destroyed_at__isnull=True, created_at__lt=cutoff
    ).order_by("created_at", "pk")


def reencrypt_owners(
    *, batch_size: int = 500, dry_run: bool = False, progress: Progress | None = None
) -> RotationResult:
    """New data keys for every owner, and every value of theirs re-encrypted under them.

    The cut-off is the start of the current run, kept in ``KeyRotationRun``: an interrupted
    run is resumed by the next call and skips the owners it already did (their new keys are
    newer than the cut-off)."""
    run = KeyRotationRun.objects.filter(finished_at__isnull=True).order_by("started_at").first()
    cutoff = run.started_at if run else timezone.now()
    pending = _owners_to_reencrypt(cutoff)
    total = pending.count()
    if dry_run:
        return RotationResult(0, total)
    if run is None:
        run = KeyRotationRun.objects.create(started_at=cutoff)
    done = rows = 0
    for key in list(pending):
        rows += _reencrypt_owner((key.owner_kind, key.owner_id), batch_size)
        done += 1
        KeyRotationRun.objects.filter(pk=run.pk).update(owners_done=models.F("owners_done") + 1)
        if progress:
            progress(done, total)
    delete_unused_retired_keys()
    KeyRotationRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    return RotationResult(done, total, rows)


def delete_unused_retired_keys() -> int:
    """Delete retired data keys that no stored value names any more.

    A request that was already running when its owner was re-encrypted may still write one
    value under the retired key; that key then stays (and keeps opening the value) until a
    later run finds it unused."""
    in_use = referenced_data_key_ids()
    retired = DataKey.objects.filter(retired_at__isnull=False, destroyed_at__isnull=True)
    unused = [key.pk for key in retired.only("id") if key.id.hex not in in_use]
    DataKey.objects.filter(pk__in=unused).delete()
    return len(unused)


def _reencrypt_owner(owner: Owner, batch_size: int) -> int:
    """Retire the owner's key, create a new one and re-encrypt everything of theirs, in one
    transaction; return the number of rows re-sealed. The retired key stays (re-wrapped like
    any other) until nothing uses it."""
    kind, owner_id = owner
    with transaction.atomic(), key_scope():
        old_keys = list(
            DataKey.objects.select_for_update().filter(
                owner_kind=kind, owner_id=owner_id, destroyed_at__isnull=True
            )
        )
        datakeys.prefetch_keys(key.id.hex for key in old_keys)  # old values still open
        DataKey.objects.filter(pk__in=[k.pk for k in old_keys]).update(retired_at=timezone.now())
        datakeys.forget_active(owner)
        resealed = 0
        for model in encrypted_models():
            fields = encrypted_fields(model)
            # Rows are locked while re-sealed, so a concurrent edit waits instead of being lost.
            rows = model.rows_owned_by(owner).select_for_update()
            for batch in batches_by_pk(rows, batch_size):
                _reseal(batch, fields)
                _write_sealed(model, batch, fields)
                resealed += len(batch)
        if owner == PRACTICE_OWNER:
            _reseal_mfa_secrets()
    return resealed


def _write_sealed(
    model: type[models.Model], rows: list[models.Model], fields: list[EncryptedMixin]
) -> None:
    """One parameterised ``UPDATE … WHERE pk = %s`` per row, sent with ``executemany``:
    several times faster than ``bulk_update``'s CASE expressions, and like it, no signals.
    Values still pass through the fields' ``get_db_prep_save``, so only sealed envelopes can
    be written."""
    quote = connection.ops.quote_name
    pk = model._meta.pk
    # Concrete fields always have a column (the stubs allow None for other kinds of field).
    assignments = ", ".join(f"{quote(cast(str, field.column))} = %s" for field in fields)
    table = quote(model._meta.db_table)
    sql = f"UPDATE {table} SET {assignments} WHERE {quote(cast(str, pk.column))} = %s"  # noqa: S608  # nosec B608
    params = [
        [field.get_db_prep_save(row.__dict__[field.attname], connection) for field in fields]
        + [pk.get_db_prep_value(row.pk, connection)]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _reseal(rows: list[models.Model], fields: list[EncryptedMixin]) -> None:
    """Decrypt each value with its old key and seal it under the owner's new key."""
    for row in rows:
        for field in fields:
            value = getattr(row, field.attname)
            row.__dict__[field.attname] = (
                None if value is None else encrypt_for(row, field, value)
            )


def _reseal_mfa_secrets() -> None:
    """allauth's MFA secrets live in JSON under the practice key: re-seal them too."""
    for authenticator in Authenticator.objects.all().iterator():
        data = dict(authenticator.data)
        changed = False
        for name in MFA_SECRET_KEYS:
            if is_encrypted_text(data.get(name, "")):
                data[name] = encrypt_text(decrypt_text(data[name], MFA_PURPOSE), MFA_PURPOSE)
                changed = True
        if changed:
            Authenticator.objects.filter(pk=authenticator.pk).update(data=data)


@transaction.atomic
def erase_owner_keys(owner: Owner) -> int:
    """Destroy every data key of ``owner``: all their encrypted values become unreadable,
    in this database and in every backup once backups of the old keys age out. Returns the
    number of keys destroyed. Irreversible."""
    kind, owner_id = owner
    destroyed = DataKey.objects.filter(
        owner_kind=kind, owner_id=owner_id, destroyed_at__isnull=True
    ).update(wrapped_key=None, destroyed_at=timezone.now())
    datakeys.forget_owner(owner)
    return destroyed
