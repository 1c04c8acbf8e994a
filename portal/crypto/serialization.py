"""Typed serialisation of field values to bytes before encryption (no pickle).

One tag byte says the type, so ``""``, ``0``, ``False`` and ``Decimal("0")`` stay distinct and
come back as exactly what was stored. ``None`` is never serialised: it is SQL NULL.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

from portal.crypto.errors import DecryptionError

_STR, _INT, _BOOL, _DATE, _DATETIME, _DECIMAL, _JSON = b"s", b"i", b"b", b"d", b"t", b"n", b"j"
# A text's serialisation is this tag and its UTF-8 bytes: ``dumps(text, "str") ==
# TEXT_TAG + text.encode()`` (what a row's sealing and opening loops write and read
# without the call).
TEXT_TAG = _STR


def dumps(value: Any, kind: str) -> bytes:
    """Serialise ``value`` as ``kind`` (str, int, bool, date, datetime, decimal or json)."""
    if value is None:
        raise ValueError("None is stored as SQL NULL and never serialised.")
    if kind == "str":
        return _STR + str(value).encode("utf-8")
    if kind == "int":
        return _INT + str(int(value)).encode("ascii")
    if kind == "bool":
        return _BOOL + (b"1" if value else b"0")
    if kind == "date":
        return _DATE + value.isoformat().encode("ascii")
    if kind == "datetime":
        return _DATETIME + value.isoformat().encode("ascii")
    if kind == "decimal":
        return _DECIMAL + str(Decimal(value)).encode("ascii")
    if kind == "json":
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return _JSON + text.encode("utf-8")
    raise ValueError(f"Unknown serialisation kind {kind!r}.")


def loads(data: bytes) -> Any:
    """The value ``dumps`` wrote. A tag we do not know means corruption, never a guess."""
    tag, body = data[:1], data[1:]
    try:
        if tag == _STR:
            return body.decode("utf-8")
        if tag == _INT:
            return int(body)
        if tag == _BOOL:
            return body == b"1"
        if tag == _DATE:
            return datetime.date.fromisoformat(body.decode("ascii"))
        if tag == _DATETIME:
            return datetime.datetime.fromisoformat(body.decode("ascii"))
        if tag == _DECIMAL:
            return Decimal(body.decode("ascii"))
        if tag == _JSON:
            return json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise format_error() from error
    raise DecryptionError("Decrypted value has an unknown type tag.")


def format_error() -> DecryptionError:
    """The error for a decrypted value whose body does not parse as its tag says."""
    return DecryptionError("Decrypted value is not in the expected format.")
