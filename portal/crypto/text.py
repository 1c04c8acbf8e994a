"""Encrypting short strings that live inside other people's tables (allauth's MFA data).

Such values have no row of ours to bind to, so the associated data names their purpose
instead, and the practice data key encrypts them. The stored form is text:
``enc1:`` + URL-safe base64 of the envelope. The prefix is how migrations tell an encrypted
value from a legacy plaintext one (never by catching a decryption error).
"""

from __future__ import annotations

import base64
import binascii

from portal.crypto import envelope
from portal.crypto.datakeys import active_key_for, cipher_for
from portal.crypto.errors import MalformedCiphertextError
from portal.crypto.owners import PRACTICE_OWNER

TEXT_PREFIX = "enc1:"


def is_encrypted_text(value: str) -> bool:
    return isinstance(value, str) and value.startswith(TEXT_PREFIX)


def encrypt_text(value: str, purpose: str) -> str:
    """Seal ``value`` under the practice data key, bound to ``purpose``."""
    key_id, cipher = active_key_for(PRACTICE_OWNER)
    sealed = envelope.seal(cipher, key_id, value.encode("utf-8"), purpose.encode())
    return TEXT_PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii")


def decrypt_text(value: str, purpose: str) -> str:
    """Open a value ``encrypt_text`` made for the same ``purpose``; refuse anything else."""
    if not is_encrypted_text(value):
        raise MalformedCiphertextError("Expected an encrypted value; found plaintext.")
    try:
        sealed = base64.urlsafe_b64decode(value[len(TEXT_PREFIX):].encode("ascii"))
    except (binascii.Error, ValueError):
        raise MalformedCiphertextError("Encrypted value is not valid base64.") from None
    parsed = envelope.parse(sealed)
    return envelope.open_sealed(cipher_for(parsed.key_id), parsed, purpose.encode()).decode(
        "utf-8"
    )
