"""The HMAC chain: what exactly is MACed, and how.

An event's MAC is HMAC-SHA256, under the audit key (``PORTAL_AUDIT_KEY``, used for nothing
else), of a domain tag, the previous event's MAC and the event's canonical content. The
canonical content is a JSON array of every stored column except the MACs, in a fixed order,
each in its text form as the database gives it back (time as UTC ``YYYY-MM-DD
HH:MM:SS.ffffff``, UUIDs as 32 hex digits, the detail as canonical JSON text), so the same
event yields the same bytes on SQLite and PostgreSQL and verification needs no parsing.
Because the sequence number is inside the MAC and each MAC covers its predecessor's,
editing, deleting, inserting or re-ordering any event breaks the chain at that event; only
someone holding the audit key could forge a replacement.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

DOMAIN_TAG = b"portal.audit.v1\x00"
MAC_BYTES = 32
GENESIS_MAC = bytes(MAC_BYTES)  # the "previous MAC" of event 1

# The stored columns that the MAC covers, in canonical order.
CANONICAL_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_role",
    "action",
    "subject_id",
    "object_type",
    "object_id",
    "request_id",
    "ip_address",
    "user_agent",
    "detail_json",
)

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_encode_detail = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def time_text(moment: datetime) -> str:
    """The canonical text of ``occurred_at``: UTC with microseconds, as SQLite stores it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def uuid_text(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


def detail_text(detail: Mapping[str, Any]) -> str:
    """Canonical JSON for the detail payload: sorted keys, no spaces."""
    return _encode_detail(dict(detail))


def canonical_content(texts: tuple[Any, ...]) -> bytes:
    """The canonical bytes of one event from its ``CANONICAL_COLUMNS`` in text form."""
    return _encode(texts).encode()


def event_texts(event: Any) -> tuple[Any, ...]:
    """An unsaved event's columns in the text form the database will give back."""
    return (
        event.seq,
        time_text(event.occurred_at),
        uuid_text(event.actor_id),
        event.actor_role,
        event.action,
        uuid_text(event.subject_id),
        event.object_type,
        event.object_id,
        event.request_id,
        event.ip_address,
        event.user_agent,
        event.detail_json,
    )


def audit_key() -> bytes:
    """The audit key: from ``PORTAL_AUDIT_KEY``, separate from the master and index keys.

    Whoever holds it can forge a consistent chain, so it lives only in the app's
    environment (never the database) and is kept apart from database backups.
    """
    return settings.PORTAL_AUDIT_KEY


def event_mac(key: bytes, previous_mac: bytes, content: bytes) -> bytes:
    """HMAC-SHA256 of one event, chained to its predecessor's MAC."""
    return hmac.digest(key, DOMAIN_TAG + previous_mac + content, "sha256")
