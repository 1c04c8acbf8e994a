"""Data keys: one random key per owner (each client, and the practice), stored wrapped.

Unwrapped keys are cached in a *key scope*: one per request (``KeyScopeMiddleware``) or per
batch in a command (``with key_scope():``). Within a scope each data key is unwrapped at most
once; outside a scope nothing is cached, so a destroyed key can never linger in a long-lived
process after crypto-shredding.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, models, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse

from portal.compiled import CompiledQuery
from portal.crypto.errors import KeyDestroyedError, MalformedCiphertextError, UnknownKeyError
from portal.crypto.keystore import DataKey
from portal.crypto.owners import (
    OWNER_CLIENT,
    Owner,
)
from portal.crypto.providers import get_key_provider


@dataclass
class KeyCache:
    ciphers: dict[str, AESGCM] = field(default_factory=dict)
    # Key rows read with another query (``with_client_key``), still wrapped, by id.
    offered: dict[str, DataKey] = field(default_factory=dict)
    active: dict[Owner, str] = field(default_factory=dict)
    unwraps: int = 0
    # Bumped whenever an owner's keys are forgotten: lookups remembered elsewhere against
    # this scope (an instance's sealing key) are then stale.
    generation: int = 0


# The data key a ciphertext names, by id: on every request that decrypts, so compiled once
# per process (portal.compiled).
DATA_KEY_BY_ID = CompiledQuery(lambda key_id: DataKey.objects.filter(pk=key_id),
                               [("uuid", lambda: DataKey._meta.pk)])

M = TypeVar("M", bound=models.Model)

_scope: ContextVar[KeyCache | None] = ContextVar("portal_key_scope", default=None)


def current_scope() -> KeyCache | None:
    """The active key scope, if any (callers may remember per-scope lookups against it)."""
    return _scope.get()


@contextmanager
def key_scope() -> Iterator[KeyCache]:
    """Cache unwrapped data keys until the block ends (a request, or a command's batch)."""
    cache = KeyCache()
    token = _scope.set(cache)
    try:
        yield cache
    finally:
        _scope.reset(token)


class KeyScopeMiddleware:
    """One key scope per request: each data key is unwrapped at most once per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with key_scope():
            return self.get_response(request)


def _wrap_aad(key: DataKey) -> bytes:
    """Associated data for a wrapped key: this key row and its owner, nothing else."""
    return f"portal.datakey|{key.owner_kind}|{key.owner_id}|{key.id.hex}".encode()


def _unwrap(key: DataKey) -> AESGCM:
    """Unwrap ``key`` with the master key its envelope names (counted, for tests)."""
    if key.wrapped_key is None:
        raise KeyDestroyedError(
            "This person's data was erased (their key was destroyed); it cannot be read."
        )
    raw = get_key_provider().unwrap(bytes(key.wrapped_key), _wrap_aad(key))
    cache = _scope.get()
    if cache is not None:
        cache.unwraps += 1
    return AESGCM(raw)


def check_opens(key: DataKey) -> None:
    """Unwrap ``key`` and throw the result away: raises ``DecryptionError`` (or
    ``UnknownKeyError``) when the configured master keys cannot open it. For start-up
    checks; nothing is cached."""
    _unwrap(key)


def wrap_new_key(key: DataKey) -> bytes:
    """Generate a fresh random 256-bit data key for ``key`` and return the raw key.

    Fills ``wrapped_key`` and ``master_key_id``; the raw key leaves this function only to be
    cached for the current scope.
    """
    raw = AESGCM.generate_key(bit_length=256)
    provider = get_key_provider()
    key.wrapped_key = provider.wrap(raw, _wrap_aad(key))
    key.master_key_id = provider.active_key_id
    return raw


def rewrap(key: DataKey) -> bytes:
    """The key's wrapped bytes re-sealed under the active master key (same data key)."""
    if key.wrapped_key is None:
        raise KeyDestroyedError("A destroyed data key cannot be re-wrapped.")
    provider = get_key_provider()
    raw = provider.unwrap(bytes(key.wrapped_key), _wrap_aad(key))
    return provider.wrap(raw, _wrap_aad(key))


def _remember(key_id: str, cipher: AESGCM) -> AESGCM:
    cache = _scope.get()
    if cache is not None:
        cache.ciphers[key_id] = cipher
    return cipher


def cipher_for(key_id: str) -> AESGCM:
    """The data key named ``key_id`` (hex UUID from a ciphertext), unwrapped once per scope.
    A live key is remembered, for the scope, as its owner's active key too."""
    cache = _scope.get()
    if cache is not None and key_id in cache.ciphers:
        return cache.ciphers[key_id]
    offered = cache.offered.pop(key_id, None) if cache is not None else None
    if offered is not None:
        key = offered
    else:
        try:
            found = DATA_KEY_BY_ID.objects(uuid.UUID(hex=key_id))
        except ValueError:
            raise MalformedCiphertextError("Encrypted value names an invalid data key.") from None
        if not found:
            raise UnknownKeyError("Encrypted value names a data key that does not exist.")
        key = found[0]
    cipher = _remember(key_id, _unwrap(key))
    if cache is not None and key.retired_at is None and key.destroyed_at is None:
        # A live key is its owner's only active one (portal_datakey_one_active_per_owner):
        # writing this owner's values later in the scope needs no second lookup.
        cache.active.setdefault((key.owner_kind, key.owner_id), key_id)
    return cipher


def active_key_for(owner: Owner) -> tuple[str, AESGCM]:
    """The owner's current data key, created on first use. Refuses an erased owner."""
    cache = _scope.get()
    if cache is not None and owner in cache.active:
        key_id = cache.active[owner]
        return key_id, cache.ciphers[key_id]
    kind, owner_id = owner
    live = DataKey.objects.filter(
        owner_kind=kind, owner_id=owner_id, retired_at__isnull=True, destroyed_at__isnull=True
    ).first()
    if live is None:
        if DataKey.objects.filter(owner_kind=kind, owner_id=owner_id,
                                  destroyed_at__isnull=False).exists():
            raise KeyDestroyedError("This person's data was erased; nothing new can be stored.")
        live, cipher = _create_key(owner)
    else:
        cipher = _unwrap(live)
    key_id = live.id.hex
    _remember(key_id, cipher)
    if cache is not None:
        cache.active[owner] = key_id
    return key_id, cipher


def _create_key(owner: Owner) -> tuple[DataKey, AESGCM]:
    """Create the owner's first data key; if another request just did, use theirs."""
    kind, owner_id = owner
    key = DataKey(id=uuid.uuid4(), owner_kind=kind, owner_id=owner_id)
    raw = wrap_new_key(key)
    try:
        with transaction.atomic():
            key.save(force_insert=True)
    except IntegrityError:
        key = DataKey.objects.get(
            owner_kind=kind, owner_id=owner_id, retired_at__isnull=True, destroyed_at__isnull=True
        )
        return key, _unwrap(key)
    return key, AESGCM(raw)


def prefetch_keys(key_ids: Iterable[str]) -> None:
    """Unwrap many data keys with one query (list views, exports, commands)."""
    cache = _scope.get()
    if cache is None:
        return
    wanted = {key_id for key_id in key_ids if key_id not in cache.ciphers}
    ids = []
    for key_id in wanted:
        try:
            ids.append(uuid.UUID(hex=key_id))
        except ValueError:
            continue
    for key in DataKey.objects.filter(pk__in=ids, destroyed_at__isnull=True):
        cache.ciphers[key.id.hex] = _unwrap(key)


# Owners looked up per query by ``prefetch_active_keys``: well under any backend's limit on
# query parameters.
_OWNERS_PER_QUERY = 500


def prefetch_active_keys(owners: Iterable[Owner]) -> None:
    """Look up (and unwrap) the active data keys of many owners with one query per 500, for
    a bulk write in the current scope: ``active_key_for`` then answers each from the scope.
    An owner with no live key is left to ``active_key_for``, which creates their key or
    refuses an erased owner, exactly as it would without this. Outside a scope nothing is
    kept, so nothing is looked up."""
    cache = _scope.get()
    if cache is None:
        return
    wanted: dict[str, list[Any]] = {}
    for kind, owner_id in {owner for owner in owners if owner not in cache.active}:
        wanted.setdefault(kind, []).append(owner_id)
    for kind, owner_ids in wanted.items():
        for start in range(0, len(owner_ids), _OWNERS_PER_QUERY):
            live = DataKey.objects.filter(
                owner_kind=kind, owner_id__in=owner_ids[start:start + _OWNERS_PER_QUERY],
                retired_at__isnull=True, destroyed_at__isnull=True)
            for key in live:
                key_id = key.id.hex
                if key_id not in cache.ciphers:
                    cache.ciphers[key_id] = _unwrap(key)
                cache.active[(key.owner_kind, key.owner_id)] = key_id


_CLIENT_KEY = "_portal_client_key_"
_CLIENT_KEY_COLUMNS = ("id", "wrapped_key", "master_key_id")


def with_client_key(rows: QuerySet[M], client_field: str = "client_id") -> QuerySet[M]:
    """``rows`` with their client's live data key row (its id, wrapped key and master key
    id) read in the same query, as three more columns: a page that opens one of the rows
    needs no second lookup for its key (``offer_client_key``). Nothing is unwrapped here."""
    live = DataKey.objects.filter(
        owner_kind=OWNER_CLIENT, owner_id=OuterRef(client_field),
        retired_at__isnull=True, destroyed_at__isnull=True)
    return rows.annotate(**{f"{_CLIENT_KEY}{column}": Subquery(live.values(column)[:1])
                            for column in _CLIENT_KEY_COLUMNS})


def offer_client_key(row: Any, client_id: uuid.UUID) -> None:
    """Keep, for this scope, the key row ``with_client_key`` read with ``row`` (still
    wrapped): ``cipher_for`` unwraps it when a value names it, instead of reading it again.
    The wrap's associated data names the key's id and owner, so a row offered for the
    wrong client cannot be unwrapped: it fails as a tampered key would."""
    cache = _scope.get()
    key_id = getattr(row, f"{_CLIENT_KEY}id", None)
    if cache is None or key_id is None:
        return
    cache.offered[key_id.hex] = DataKey(
        id=key_id, owner_kind=OWNER_CLIENT, owner_id=client_id,
        wrapped_key=getattr(row, f"{_CLIENT_KEY}wrapped_key"),
        master_key_id=getattr(row, f"{_CLIENT_KEY}master_key_id"),
        retired_at=None, destroyed_at=None)


def forget_active(owner: Owner) -> None:
    """Forget which key is the owner's active one (it was just retired); keep the ciphers,
    which still open the owner's existing values."""
    cache = _scope.get()
    if cache is not None:
        cache.active.pop(owner, None)
        cache.offered.clear()
        cache.generation += 1


def forget_owner(owner: Owner) -> None:
    """Drop an owner's keys from the current scope (after erasure or re-encryption)."""
    cache = _scope.get()
    if cache is None:
        return
    cache.active.pop(owner, None)
    cache.offered.clear()
    cache.generation += 1
    kind, owner_id = owner
    for key_id in DataKey.objects.filter(owner_kind=kind, owner_id=owner_id).values_list(
        "id", flat=True
    ):
        cache.ciphers.pop(key_id.hex, None)


