"""Exceptions of the encryption layer. Messages never contain plaintext or ciphertext."""

from __future__ import annotations


class EncryptionError(Exception):
    """Base class: something about encrypted data or keys is wrong."""


class DecryptionError(EncryptionError):
    """A ciphertext could not be decrypted: wrong key, tampered, truncated or moved to
    another row or field. Never answered with the ciphertext or ``None``."""


class MalformedCiphertextError(DecryptionError):
    """The bytes are not in our envelope format at all (or are truncated)."""


class UnknownKeyError(DecryptionError):
    """The ciphertext names a key id that no keyring or data-key table holds."""


class KeyDestroyedError(DecryptionError):
    """The owner's data key was destroyed (crypto-shredded): the data is gone for good."""


class EncryptedFieldUsageError(EncryptionError):
    """An encrypted field was used in a way that cannot work: filtering, ordering, unique,
    indexing, or bulk updates with plaintext."""
