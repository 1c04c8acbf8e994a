"""Walking the chain: is every event where it should be, and unchanged?

The walk reads events in sequence order, in keyset pages, and recomputes each MAC from the
previous one. It stops at the first problem and names its sequence number: that event, or
the one missing before it, is where someone edited, deleted, inserted or re-ordered history.
Events the walk does not reach (numbered past the chain head, or below 1) are looked for
too: the walk's range must not be a place to hide one.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Min, Q, Subquery

from portal.audit.chain import (
    CANONICAL_COLUMNS,
    GENESIS_MAC,
    audit_key,
    canonical_content,
    event_mac,
)
from portal.audit.models import AuditChainHead, AuditEvent

PAGE_SIZE = 5000
_SECONDS_ONLY = len("YYYY-MM-DD HH:MM:SS")


@dataclass(frozen=True)
class ChainReport:
    """The outcome of a walk: how far it got and, if broken, where and why."""

    events: int
    last_seq: int
    last_mac: bytes
    broken_at: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def _select_sql() -> str:
    """The columns in canonical text form, straight from the database (no ORM converters:
    at a million events their parsing would cost more than the MACs)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    if connection.vendor == "postgresql":
        columns = [
            "seq",
            "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')",
            "replace(actor_id::text, '-', '')",
            "actor_role", "action",
            "replace(subject_id::text, '-', '')",
            "object_type", "object_id", "request_id", "ip_address", "user_agent", "detail_json",
        ]
    else:
        # An expression, not the bare column: the sqlite3 driver would parse the latter.
        columns = ["CAST(occurred_at AS TEXT)" if name == "occurred_at" else name
                   for name in CANONICAL_COLUMNS]
    # Identifiers come from the model, values are parameters: nothing typed reaches here.
    return (f"SELECT {', '.join(columns)}, prev_mac, mac FROM {table} "  # noqa: S608  # nosec B608
            "WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT %s")


def event_rows(page_size: int, up_to: int | None) -> Iterator[tuple[Any, ...]]:
    """Every event up to ``up_to`` (all if None) in sequence order, as
    ``(*canonical texts, prev_mac, mac)``, fetched in keyset pages."""
    sql = _select_sql()
    limit = up_to if up_to is not None else 2**62
    after = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [after, limit, page_size])
            rows = cursor.fetchall()
        for row in rows:
            moment = row[1]
            if len(moment) == _SECONDS_ONLY:  # SQLite drops ".000000"
                row = (row[0], moment + ".000000", *row[2:])
            yield row
        if len(rows) < page_size:
            return
        after = rows[-1][0]


def verify_chain(
    *, anchor: tuple[int, bytes] | None = None, page_size: int = PAGE_SIZE
) -> ChainReport:
    """Recompute every MAC under the audit key; report the first broken sequence number.

    Checks, per event: its number follows the previous one (a gap is a deletion, a repeat
    or step back a re-ordering); its stored ``prev_mac`` is the previous MAC; its MAC matches
    its content (an edit, or a forgery made without the key). At the end, the chain head must
    agree with the last event (events cut from the end), and an operator's ``anchor``
    (sequence number and MAC kept elsewhere) must still be in the chain.
    """
    key = audit_key()
    # The head is read first: events appended while we walk are past it and left for the
    # next walk, so a live system never looks truncated.
    head = AuditChainHead.objects.filter(pk=1).values_list("last_seq", "last_mac").first()
    previous_mac = GENESIS_MAC
    expected_seq = 1
    count = 0
    anchor_seen = anchor is None
    for row in event_rows(page_size, head[0] if head else None):
        seq = row[0]
        stored_prev, stored_mac = bytes(row[-2]), bytes(row[-1])
        if seq != expected_seq:
            reason = (f"event #{expected_seq} is missing" if seq > expected_seq
                      else f"event #{seq} is out of order")
            return ChainReport(count, expected_seq - 1, previous_mac, expected_seq, reason)
        if not hmac.compare_digest(stored_prev, previous_mac):
            return ChainReport(count, seq - 1, previous_mac, seq,
                               f"event #{seq} does not follow event #{seq - 1}")
        mac = event_mac(key, previous_mac, canonical_content(row[:-2]))
        if not hmac.compare_digest(mac, stored_mac):
            return ChainReport(count, seq - 1, previous_mac, seq,
                               f"event #{seq} was altered or forged")
        if anchor is not None and seq == anchor[0]:
            if not hmac.compare_digest(stored_mac, anchor[1]):
                return ChainReport(count, seq - 1, previous_mac, seq,
                                   f"event #{seq} does not match the anchor")
            anchor_seen = True
        previous_mac = stored_mac
        expected_seq += 1
        count += 1
    last_seq = expected_seq - 1
    if head is None and count:
        return ChainReport(count, last_seq, previous_mac, last_seq + 1,
                           "the chain head is missing: events cut from the end would not "
                           "show")
    if head is not None and (head[0], bytes(head[1])) != (last_seq, previous_mac):
        return ChainReport(count, last_seq, previous_mac, last_seq + 1,
                           f"the chain head expects {head[0]} events: later events are missing")
    stray = _stray_events()
    if stray is not None:
        return ChainReport(count, last_seq, previous_mac, stray[0], stray[1])
    if not anchor_seen:
        return ChainReport(count, last_seq, previous_mac, anchor[0],  # type: ignore[index]
                           f"anchored event #{anchor[0]} is missing")  # type: ignore[index]
    return ChainReport(count, last_seq, previous_mac)


def _stray_events() -> tuple[int, str] | None:
    """The first event outside the chain's range, and why, if there is one.

    Past the head: the portal moves the head in the transaction that adds an event, so at
    any committed moment no event of its own lies past it; one that does was inserted
    behind its back. The head is read again inside this one statement, so events the
    portal appends while the walk runs never count. Below 1: numbers the portal never
    gives.
    """
    head_now = AuditChainHead.objects.filter(pk=1).values("last_seq")[:1]
    found = AuditEvent.objects.filter(Q(seq__lt=1) | Q(seq__gt=Subquery(head_now))).aggregate(
        first=Min("seq"), rows=Count("seq")
    )
    if not found["rows"]:
        return None
    first, rows = found["first"], found["rows"]
    if first < 1:
        return first, f"event #{first} is numbered below 1: the portal did not write it"
    more = f" (and {rows - 1} more)" if rows > 1 else ""
    return first, (f"event #{first}{more} is past the chain head: "
                   "the portal did not write it")
