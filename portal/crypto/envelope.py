"""The ciphertext envelope: ``version | key id length | key id | nonce | ciphertext+tag``.

* version: one byte, ``0x01``. A different first byte is not ours (see ``is_envelope``).
* key id: 1 to 36 ASCII bytes naming the key that encrypted it (a master key id for wrapped
  data keys, a data key's UUID for field values). Keys are found by this id, never by
  trying keys in turn.
* nonce: 12 random bytes (96 bits) from the OS, fresh for every encryption.
* ciphertext+tag: AES-256-GCM output; the 16-byte tag authenticates the ciphertext *and* the
  associated data, which names what the value belongs to (model, field, row).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from portal.crypto.errors import DecryptionError, MalformedCiphertextError

VERSION = 0x01
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_KEY_ID_BYTES = 36


@dataclass(frozen=True, slots=True)
class Envelope:
    key_id: str
    nonce: bytes
    sealed: bytes  # ciphertext followed by the GCM tag


def is_envelope(data: bytes | memoryview | None) -> bool:
    """True when ``data`` starts like one of our envelopes (used to tell encrypted from
    plaintext columns during migrations; never used to decide whether to trust data)."""
    if not data:
        return False
    data = bytes(data)
    return (
        data[0] == VERSION
        and len(data) > 2
        and 0 < data[1] <= MAX_KEY_ID_BYTES
        and len(data) >= 2 + data[1] + NONCE_BYTES + TAG_BYTES
    )


def split(data: bytes | memoryview) -> tuple[bytes, bytes, bytes]:
    """An envelope's raw key id, nonce and ciphertext+tag, refusing anything malformed or
    truncated. The key id stays undecoded (the hot read path looks keys up by it)."""
    if not isinstance(data, bytes):
        data = bytes(data)
    if len(data) < 2 or data[0] != VERSION:
        raise MalformedCiphertextError("Not an encrypted value in a known format.")
    id_length = data[1]
    if not 0 < id_length <= MAX_KEY_ID_BYTES:
        raise MalformedCiphertextError("Encrypted value has an invalid key id.")
    nonce_start = 2 + id_length
    sealed_start = nonce_start + NONCE_BYTES
    if len(data) < sealed_start + TAG_BYTES:
        raise MalformedCiphertextError("Encrypted value is truncated.")
    return data[2:nonce_start], data[nonce_start:sealed_start], data[sealed_start:]


def key_id_text(raw_key_id: bytes) -> str:
    try:
        return raw_key_id.decode("ascii")
    except UnicodeDecodeError:
        raise MalformedCiphertextError("Encrypted value has an invalid key id.") from None


def parse(data: bytes | memoryview) -> Envelope:
    """Split an envelope into its parts, refusing anything malformed or truncated."""
    raw_key_id, nonce, sealed = split(data)
    return Envelope(key_id_text(raw_key_id), nonce, sealed)


@functools.lru_cache(maxsize=4096)
def header(key_id: str) -> bytes:
    """``version | key id length | key id``: the same for every value under one key, so
    remembered for the most recent keys (it holds nothing secret: the key id is stored in
    plain sight in every envelope)."""
    encoded_id = key_id.encode("ascii")
    if not 0 < len(encoded_id) <= MAX_KEY_ID_BYTES:
        raise ValueError("Key ids are 1 to 36 ASCII characters.")
    return bytes([VERSION, len(encoded_id)]) + encoded_id


def seal(cipher: AESGCM, key_id: str, plaintext: bytes, associated_data: bytes) -> bytes:
    """Encrypt ``plaintext`` with ``cipher`` (an AES-256-GCM key) and return the envelope.

    ``associated_data`` is authenticated, not stored: decryption must supply the same bytes,
    which is how a value is bound to its row and field.
    """
    return seal_under(cipher, header(key_id), plaintext, associated_data)


def seal_under(cipher: AESGCM, key_header: bytes, plaintext: bytes, associated_data: bytes
               ) -> bytes:
    """``seal`` with the key's ``header`` already built (once per key, not per value).
    A fresh random 96-bit nonce every time: never reused under one key."""
    nonce = os.urandom(NONCE_BYTES)
    return key_header + nonce + cipher.encrypt(nonce, plaintext, associated_data)


def fresh_nonces(count: int) -> bytes:
    """``count`` fresh random 96-bit nonces from the OS in one call, back to back: for
    sealing a row's values together, each taking its own slice (never one twice)."""
    return os.urandom(NONCE_BYTES * count)


def open_raw(cipher: AESGCM, nonce: bytes, sealed: bytes, associated_data: bytes) -> bytes:
    """Decrypt split envelope parts with ``cipher``; any mismatch is a ``DecryptionError``.

    GCM cannot tell a wrong key from tampering or a value moved to another row: all three
    fail the tag check, and the message says so without echoing any bytes.
    """
    try:
        return cipher.decrypt(nonce, sealed, associated_data)
    except InvalidTag:
        raise tag_mismatch() from None


def tag_mismatch() -> DecryptionError:
    """The error for a value whose GCM tag does not check out (``open_raw``'s, for callers
    that call the cipher themselves on a hot path)."""
    return DecryptionError(
        "Decryption failed: wrong key, tampered data, or a value moved from another "
        "row or field."
    )


def open_sealed(cipher: AESGCM, envelope: Envelope, associated_data: bytes) -> bytes:
    """Decrypt a parsed envelope with ``cipher`` (see ``open_raw``)."""
    return open_raw(cipher, envelope.nonce, envelope.sealed, associated_data)
