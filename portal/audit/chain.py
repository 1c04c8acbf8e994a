"""The HMAC chain: what exactly is MACed, and how.

An event's MAC is HMAC-SHA256, under the audit key (``PORTAL_AUDIT_KEY``, used for nothing
else), of a domain tag, the previous event's MAC and the event's canonical content. The
canonical content is a JSON array of every stored column except the MACs, in a fixed order,
with sorted keys and no whitespace, so the same event always yields the same bytes on SQLite
and PostgreSQL. Because the sequence number is inside the MAC and each MAC covers its
predecessor's, editing, deleting, inserting or re-ordering any event breaks the chain at that
event; only someone holding the audit key could forge a replacement.
"""

from __future__ import annotations

import hmac
import json
import uuid
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
    "detail",
)

_encode = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def format_time(moment: datetime) -> str:
    """UTC, microseconds, always the same width: the canonical form of ``occurred_at``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _uuid_text(value: uuid.UUID | str | None) -> str | None:
    return None if value is None else str(value)


def canonical_content(row: tuple[Any, ...]) -> bytes:
    """The canonical bytes of one event given its columns in ``CANONICAL_COLUMNS`` order."""
    (seq, occurred_at, actor_id, actor_role, action, subject_id, object_type, object_id,
     request_id, ip_address, user_agent, detail) = row
    return _encode(
        [
            seq,
            format_time(occurred_at),
            _uuid_text(actor_id),
            actor_role,
            action,
            _uuid_text(subject_id),
            object_type,
            object_id,
            request_id,
            ip_address,
            user_agent,
            detail,
        ]
    ).encode()


def audit_key() -> bytes:
    """The audit key: from ``PORTAL_AUDIT_KEY``, separate from the master and index keys.

    Whoever holds it can forge a consistent chain, so it lives only in the app's
    environment (never the database) and is kept apart from database backups.
    """
    return settings.PORTAL_AUDIT_KEY


def event_mac(key: bytes, previous_mac: bytes, content: bytes) -> bytes:
    """HMAC-SHA256 of one event, chained to its predecessor's MAC."""
    return hmac.digest(key, DOMAIN_TAG + previous_mac + content, "sha256")
