"""Master-key providers: the only code that touches master keys.

A provider wraps and unwraps data keys; it never hands a master key out. The local provider
keeps the keyring from the environment (``PORTAL_MASTER_KEYS``) in memory; a cloud KMS
provider would implement the same three members by calling the KMS. Choose one with the
``PORTAL_KEY_PROVIDER`` setting (a dotted path); the local provider is the default.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from portal.crypto import envelope
from portal.crypto.errors import UnknownKeyError


class KeyProvider(Protocol):
    """What the encryption layer needs from wherever master keys live."""

    @property
    def active_key_id(self) -> str:
        """The id of the master key that wraps new data keys."""
        ...

    def key_ids(self) -> frozenset[str]:
        """Every master key id this provider can unwrap with."""
        ...

    def wrap(self, data_key: bytes, associated_data: bytes) -> bytes:
        """Encrypt ``data_key`` under the active master key; the result names the key id."""
        ...

    def unwrap(self, wrapped: bytes, associated_data: bytes) -> bytes:
        """Decrypt a wrapped data key with the master key its envelope names."""
        ...


class LocalKeyringProvider:
    """Master keys from the environment (or ``*_FILE``), held in this process only."""

    def __init__(self, keyring: dict[str, bytes], active_key_id: str) -> None:
        if not keyring:
            raise ImproperlyConfigured("PORTAL_MASTER_KEYS holds no keys.")
        if active_key_id not in keyring:
            raise ImproperlyConfigured(
                "PORTAL_ACTIVE_MASTER_KEY_ID names a key id that PORTAL_MASTER_KEYS lacks."
            )
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keyring.items()}
        self._active_key_id = active_key_id

    @property
    def active_key_id(self) -> str:
        return self._active_key_id

    def key_ids(self) -> frozenset[str]:
        return frozenset(self._ciphers)

    def wrap(self, data_key: bytes, associated_data: bytes) -> bytes:
        """Seal ``data_key`` under the active master key, bound to ``associated_data``."""
        cipher = self._ciphers[self._active_key_id]
        return envelope.seal(cipher, self._active_key_id, data_key, associated_data)

    def unwrap(self, wrapped: bytes, associated_data: bytes) -> bytes:
        """Open a wrapped data key with the master key named in it (never trying others)."""
        parsed = envelope.parse(wrapped)
        cipher = self._ciphers.get(parsed.key_id)
        if cipher is None:
            raise UnknownKeyError(
                f"Master key '{parsed.key_id}' is not in PORTAL_MASTER_KEYS; it may have "
                "been retired too early."
            )
        return envelope.open_sealed(cipher, parsed, associated_data)


def local_provider_from_settings() -> LocalKeyringProvider:
    return LocalKeyringProvider(settings.PORTAL_MASTER_KEYS, settings.PORTAL_ACTIVE_MASTER_KEY_ID)


@cache
def get_key_provider() -> KeyProvider:
    """The configured provider, built once per process (settings do not change at run time)."""
    factory_path = getattr(
        settings, "PORTAL_KEY_PROVIDER", "portal.crypto.providers.local_provider_from_settings"
    )
    return import_string(factory_path)()
