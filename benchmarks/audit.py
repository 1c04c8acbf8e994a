"""``verify_audit_log`` on a million events.

The events are made here, not through ``record_event`` (which takes the chain head's lock
per event, a cost of the request, not of verification): each gets a realistic mix of
columns (actions from the vocabulary, UUIDs, addresses, user agents, small details) and a
MAC chained exactly as the service chains it, then they are inserted with ``executemany``
in chunks. (That the service's events and these verify alike is the tests' business:
tests/test_audit_chain.py verifies chains written by ``record_event`` on both databases.) Timed:

* ``audit_verify_seconds``: ``verify_chain()``, the command's whole walk (keyset pages,
  canonical form, HMAC, head and order checks);
* the baseline, in the same run: the same keyset walk reading the same columns without
  computing anything, so ``audit_verify_ratio_vs_read`` says what the MACs add.

Checks: the walk of the untouched chain is intact and counts every event; after one event
in the middle has its detail edited by raw SQL (as a database administrator would, with the
PostgreSQL trigger switched off), the walk names exactly that event.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from benchmarks.common import check, say, stopwatch
from portal.audit.actions import ACTIONS
from portal.audit.chain import (
    CANONICAL_COLUMNS,
    GENESIS_MAC,
    audit_key,
    canonical_content,
    detail_text,
    event_mac,
    time_text,
)
from portal.audit.models import AuditChainHead, AuditEvent
from portal.audit.verify import event_rows, verify_chain

FILL_CHUNK = 20_000
SEED = 20261125
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "",
)


@dataclass
class AuditResults:
    events: int
    fill_seconds: float = 0.0
    verify_seconds: float = 0.0
    read_seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        return self.events / self.verify_seconds


def _event_rows(count: int) -> Iterator[tuple[Any, ...]]:
    """``count`` chained events, oldest first, as rows in canonical text form plus the
    previous MAC and the MAC, with a seeded mix of realistic columns."""
    rng = random.Random(SEED)
    key = audit_key()
    actions = [action.value for action in ACTIONS]
    people = [uuid.UUID(int=rng.getrandbits(128), version=4).hex for _ in range(500)]
    roles = ("client", "clinician", "practice_admin")
    details = [detail_text({})] * 6 + [detail_text({"rows": 12})]
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    previous = GENESIS_MAC
    for seq in range(1, count + 1):
        texts = (
            seq,
            time_text(start + datetime.timedelta(milliseconds=seq * 37)),
            rng.choice(people),
            rng.choice(roles),
            rng.choice(actions),
            rng.choice(people),
            "portal.clientprofile",
            rng.choice(people),
            f"{rng.getrandbits(128):032x}",
            f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            rng.choice(USER_AGENTS),
            details[seq % 7],
        )
        mac = event_mac(key, previous, canonical_content(texts))
        yield (*texts, previous, mac)
        previous = mac


def _insert_sql() -> str:
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = [*CANONICAL_COLUMNS, "prev_mac", "mac"]
    marks = ", ".join(["%s"] * len(columns))
    # Identifiers from the model; every value is a parameter.
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608  # nosec B608


def _at_head_trigger(*, enabled: bool) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE portal_auditevent "
                           + ("ENABLE" if enabled else "DISABLE")
                           + " TRIGGER portal_audit_event_at_head")


def _fill(count: int) -> float:
    """Insert the chain with ``executemany`` in chunks, then point the head at its end.
    (PostgreSQL takes the UTC time text with an explicit zone; SQLite stores it as is.)

    A bulk load, like a data-only restore (``pg_restore --disable-triggers``): on
    PostgreSQL the trigger that accepts an event only at the chain head is off meanwhile."""
    sql = _insert_sql()
    zone = "+00:00" if connection.vendor == "postgresql" else ""
    _at_head_trigger(enabled=False)
    with stopwatch() as watch:
        chunk: list[tuple[Any, ...]] = []
        last: tuple[Any, ...] = ()
        for row in _event_rows(count):
            chunk.append((row[0], row[1] + zone, *row[2:]))
            last = row
            if len(chunk) == FILL_CHUNK:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(sql, chunk)
                chunk = []
                if row[0] % (count // 5 or 1) == 0:
                    say(f"  filled {row[0]:,}/{count:,} events")
        if chunk:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, chunk)
        AuditChainHead.objects.update_or_create(
            pk=1, defaults={"last_seq": last[0], "last_mac": last[-1]}
        )
    _at_head_trigger(enabled=True)
    if connection.vendor == "postgresql":
        # What autovacuum would soon do after a bulk load: without statistics the planner
        # may sort the whole table for every page.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE portal_auditevent")
    return watch.seconds


def _tamper(seq: int) -> None:
    """Edit one event's detail behind the application's back, as a DBA could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE portal_auditevent DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE portal_auditevent SET detail_json = %s WHERE seq = %s", ['{"rows":999999}', seq]
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE portal_auditevent ENABLE TRIGGER USER")


def run(*, events: int) -> AuditResults:
    """Fill ``events`` chained events, then time the baseline walk and the verification."""
    check(not AuditEvent.objects.exists(), "audit: the throwaway database already has events")
    results = AuditResults(events=events)
    results.fill_seconds = _fill(events)
    say(f"fill {events:,} audit events: {results.fill_seconds:.1f} s")

    with stopwatch() as watch:
        read = sum(1 for _ in event_rows(5000, None))
    results.read_seconds = watch.seconds
    check(read == events, "audit: the baseline walk missed events")
    with stopwatch() as watch:
        report = verify_chain()
    results.verify_seconds = watch.seconds
    check(report.intact and report.events == events,
          lambda: f"audit: untouched chain reported {report}")
    say(f"verify_chain: {events:,} events in {watch.seconds:.1f} s "
        f"({results.events_per_second:,.0f} events/s); plain walk {results.read_seconds:.1f} s")

    middle = events // 2
    _tamper(middle)
    broken = verify_chain()
    check(broken.broken_at == middle, lambda: f"audit: tampering at #{middle} gave {broken}")
    return results
