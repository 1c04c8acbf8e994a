"""Helpers for data migrations that move plaintext into encrypted storage.

Plaintext is told from ciphertext by the format prefix (``enc1:`` for text, the envelope
header for binary columns), never by trying to decrypt and catching the error: a value that
fails to decrypt must stay an error, not be mistaken for plaintext and encrypted again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from portal.crypto.datakeys import key_scope
from portal.crypto.mfa import MFA_SECRET_KEYS
from portal.crypto.text import encrypt_text, is_encrypted_text


def encrypt_plaintext_mfa_data(authenticators: Iterable[Any], purpose: str) -> int:
    """Encrypt allauth MFA secrets still stored in plaintext; returns how many rows changed.

    Works on historical models (``apps.get_model("mfa", "Authenticator")``): it only reads
    and writes the JSON ``data`` column, with ``QuerySet.update`` (no signals).
    """
    changed = 0
    with key_scope():
        for authenticator in authenticators:
            data = dict(authenticator.data or {})
            touched = False
            for name in MFA_SECRET_KEYS:
                value = data.get(name)
                if isinstance(value, str) and value and not is_encrypted_text(value):
                    data[name] = encrypt_text(value, purpose)
                    touched = True
            if touched:
                type(authenticator).objects.filter(pk=authenticator.pk).update(data=data)
                changed += 1
    return changed
