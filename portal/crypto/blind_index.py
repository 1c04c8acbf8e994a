"""Blind indexes: keyed, truncated HMACs that let staff find a client by an encrypted value.

Only for what staff must search (legal name, date of birth, phone), never free text. Each index
has its own key, derived with HKDF from ``PORTAL_BLIND_INDEX_KEY`` and the index's name, so
equal values in two indexes do not match. Input is normalised first, so "JOSÉ  O'NEIL",
"José O'Neil" and "jose oneil" all find the same person (staff cannot be expected to type
accents the client used).

Truncation: 16 bits by default. With up to ~100,000 clients a search returns on average
100,000 / 65,536 ≈ 1.5 unrelated candidates besides the real matches; they are dropped after
decryption (``blind_search``). Someone holding the database learns only which rows share a 16-bit
bucket, which unrelated rows share too. More bits means fewer false candidates and more
leakage; see docs/key-management.md.

Name tokens: a name is also indexed word by word (``name_tokens``), so staff can find a
client by a family name or a first name alone. Each word gets its own truncated HMAC under a
key of its own (``blind_tokens``); the rows live in a small table beside the model (for client
profiles, ``portal.models.ClientNameToken``). Someone holding the database then also sees how
many words a name has and which clients share a word (a family name, a common first name);
see docs/key-management.md.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.db import models

from portal.crypto.datakeys import key_scope
from portal.crypto.errors import KeyDestroyedError
from portal.crypto.models import batches_by_pk

_WHITESPACE = re.compile(r"\s+")


def normalise_name(value: str) -> str:
    """NFKC, case-folded, accents and punctuation dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", str(value)).casefold())
    text = "".join(
        ch for ch in text
        if unicodedata.category(ch) != "Mn" and not unicodedata.category(ch).startswith("P")
    )
    text = unicodedata.normalize("NFKC", text)
    return _WHITESPACE.sub(" ", text).strip()


def normalise_date(value: datetime.date | str) -> str:
    """ISO 8601 (YYYY-MM-DD); strings are parsed strictly."""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value.strip())
    return value.isoformat()


def normalise_phone(value: str) -> str:
    """Digits only; a North American number's leading country code 1 is dropped."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", str(value)) if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


def _dash_parts(word: str) -> list[str]:
    """``word`` split at dashes of any kind (Unicode category Pd: hyphen, en dash, ...)."""
    parts: list[str] = []
    current: list[str] = []
    for ch in word:
        if unicodedata.category(ch) == "Pd":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def name_tokens(value: str) -> set[str]:
    """The words a name can be found by, each normalised like ``normalise_name``: the
    whitespace-separated words, and the parts of a word joined by dashes as well as the
    whole word. "José María O'Neil-Ávila" gives jose, maria, oneilavila, oneil and avila
    (an apostrophe joins, as it does in the whole-name index)."""
    tokens: set[str] = set()
    for word in unicodedata.normalize("NFKC", str(value)).split():
        tokens.update(normalise_name(word).split())
        parts = _dash_parts(word)
        if len(parts) > 1:
            for part in parts:
                tokens.update(normalise_name(part).split())
    tokens.discard("")
    return tokens


def search_tokens(value: str) -> set[str]:
    """The words typed in a name search, split at whitespace and dashes and normalised: a
    client is found when every one of them is among the client's ``name_tokens``. Typing
    "O'Neil-Ávila", "oneil avila" or "ONEILAVILA" all find "O'Neil-Ávila"."""
    tokens: set[str] = set()
    for word in unicodedata.normalize("NFKC", str(value)).split():
        for part in _dash_parts(word):
            tokens.update(normalise_name(part).split())
    tokens.discard("")
    return tokens


NORMALISERS: dict[str, Callable[[Any], str]] = {
    "name": normalise_name,
    "date": normalise_date,
    "phone": normalise_phone,
}


@cache
def _index_key(index_name: str, root: bytes) -> bytes:
    """The per-index HMAC key: HKDF-SHA256 of the root blind-index key, labelled by index."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None,
        info=f"portal.blind-index|{index_name}".encode(),
    ).derive(root)


def blind_index(index_name: str, kind: str, value: Any, bits: int = 16) -> str | None:
    """The truncated HMAC of the normalised value, as hex; None for empty input."""
    if value is None:
        return None
    normalised = NORMALISERS[kind](value)
    if not normalised:
        return None
    key = _index_key(index_name, settings.PORTAL_BLIND_INDEX_KEY)
    digest = hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).digest()
    return digest[: bits // 8].hex()


def blind_tokens(index_name: str, tokens: Iterable[str], bits: int = 16) -> set[str]:
    """The truncated HMACs (hex) of already-normalised ``tokens`` (from ``name_tokens`` or
    ``search_tokens``) under ``index_name``'s own key. Never a plaintext token: only these
    digests are stored, and two tokens may share one (truncation), so a match is a
    candidate to confirm by decrypting, as with ``blind_search``."""
    key = _index_key(index_name, settings.PORTAL_BLIND_INDEX_KEY)
    return {
        hmac.new(key, token.encode("utf-8"), hashlib.sha256).digest()[: bits // 8].hex()
        for token in tokens if token
    }


class BlindIndexField(models.CharField):
    """Holds the blind index of another (encrypted) field, computed on save.

    ``source`` names the encrypted field, ``kind`` its normaliser (name, date, phone),
    ``bits`` the truncation (a multiple of 8).
    """

    def __init__(
        self, *args: Any, source: str = "", kind: str = "name", bits: int = 16, **kwargs: Any
    ) -> None:
        if kind not in NORMALISERS:
            raise ValueError(f"Unknown blind index kind {kind!r}.")
        if bits % 8 or not 8 <= bits <= 256:
            raise ValueError("Blind index bits must be a multiple of 8 between 8 and 256.")
        self.source, self.kind, self.bits = source, kind, bits
        kwargs.setdefault("max_length", bits // 4)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("null", True)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, kind=self.kind, bits=self.bits)
        for default in ("max_length", "editable", "null", "db_index"):
            kwargs.pop(default, None)
        return name, path, args, kwargs

    def index_name(self) -> str:
        return f"{self.model._meta.label_lower}.{self.source}"

    def compute(self, value: Any) -> str | None:
        return blind_index(self.index_name(), self.kind, value, self.bits)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = self.compute(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


_M = TypeVar("_M", bound=models.Model)

def blind_search(queryset: models.QuerySet[_M], source: str, value: Any) -> list[_M]:
    """Rows whose ``source`` field equals ``value`` after normalisation.

    Narrows with the blind index in SQL, then confirms each candidate by decrypting, so the
    truncation's false candidates never reach the caller.
    """
    field = _index_field(queryset.model, source)
    digest = field.compute(value)
    if digest is None:
        return []
    wanted = NORMALISERS[field.kind](value)
    candidates: Iterable[_M] = queryset.filter(**{field.name: digest})
    return [
        row for row in candidates
        if getattr(row, source) is not None
        and NORMALISERS[field.kind](getattr(row, source)) == wanted
    ]


def _index_field(model: type[models.Model], source: str) -> BlindIndexField:
    for field in model._meta.concrete_fields:
        if isinstance(field, BlindIndexField) and field.source == source:
            return field
    raise ValueError(f"{model.__name__}.{source} has no blind index.")


def rebuild_blind_indexes(batch_size: int = 500, *, with_tokens: bool = True) -> int:
    """Recompute every blind index (after changing ``PORTAL_BLIND_INDEX_KEY`` or a
    normaliser). Decrypts each source value once; writes with ``bulk_update`` (no signals).
    A model that also keeps token indexes in a table of their own (``ClientProfile``'s name
    tokens) rewrites them for the same batch through its ``rebuild_blind_tokens(rows)``
    class method, inside the batch's key scope (``with_tokens=False`` leaves them alone, for
    migration 0006, which runs before their table exists). Returns the number of rows
    rewritten."""
    rewritten = 0
    for model in apps.get_models():
        index_fields = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
        if not index_fields:
            continue
        for rows in batches_by_pk(model._default_manager.all(), batch_size):
            with key_scope():
                for row in rows:
                    for field in index_fields:
                        try:
                            digest = field.compute(getattr(row, field.source))
                        except KeyDestroyedError:
                            digest = None  # an erased client keeps no index either
                        setattr(row, field.attname, digest)
                model._default_manager.bulk_update(rows, [f.name for f in index_fields])
                rebuild_tokens = getattr(model, "rebuild_blind_tokens", None)
                if with_tokens and rebuild_tokens is not None:
                    rebuild_tokens(rows)
            rewritten += len(rows)
    return rewritten
