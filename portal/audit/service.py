"""Recording: the one function through which every audit event is written.

Services call ``record_event`` inside their own transaction, so an action that rolls back
leaves no event, and an action that commits always has its event. Appends serialise on the
chain head's row lock: the lock is held from the append to the end of the caller's
transaction, so callers record last, just before they return.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, F, Min, OuterRef, Subquery
from django.utils import timezone

from portal.audit.actions import Action, spec_for
from portal.audit.chain import (
    GENESIS_MAC,
    audit_key,
    canonical_content,
    detail_text,
    event_mac,
    event_texts,
)
from portal.audit.context import RequestOrigin, current_origin
from portal.audit.models import AuditAlert, AuditChainHead, AuditEvent
from portal.models import User
from portal.roles import is_staff_member, primary_role

logger = logging.getLogger(__name__)

HEAD_ID = 1
# The largest sequence number the column holds (a signed 64-bit integer, on both databases).
MAX_SEQ = 2**63 - 1
SYSTEM_ROLE = "system"
ANONYMOUS_ROLE = "anonymous"

# Detail values are small tokens: numbers, flags, key ids, field names, format names.
# No spaces and no "@", so neither a sentence nor an email address fits.
_DETAIL_TOKEN = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")
_MAX_LIST = 50
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


class AuditDetailError(ValueError):
    """A detail payload that could carry personal data (or is not in the vocabulary)."""


def _check_detail(action: Action, detail: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse detail keys the action does not declare and values that are not small tokens.

    This is the guard that keeps personal data out of payloads by construction.
    """
    allowed = spec_for(action).detail_keys
    unknown = set(detail) - allowed
    if unknown:
        raise AuditDetailError(f"{action} does not take detail {sorted(unknown)}")
    for key, value in detail.items():
        values = value if isinstance(value, list | tuple) else [value]
        if isinstance(value, list | tuple) and len(value) > _MAX_LIST:
            raise AuditDetailError(f"{action} detail {key!r} is too long")
        for item in values:
            if item is None or isinstance(item, bool | int):
                continue
            if isinstance(item, str) and _DETAIL_TOKEN.match(item):
                continue
            raise AuditDetailError(f"{action} detail {key!r} must be a number, flag or token")
    return {key: list(value) if isinstance(value, tuple) else value
            for key, value in detail.items()}


def role_label(actor: User | AnonymousUser | None) -> str:
    """The actor's role at the time of the event (roles can change later)."""
    if actor is None:
        return SYSTEM_ROLE
    if not actor.is_authenticated:
        return ANONYMOUS_ROLE
    role = primary_role(actor)
    if role is not None:
        return role.value
    return "superuser" if actor.is_superuser else "none"


def _advance_head() -> tuple[int, bytes]:
    """Take the next sequence number and the previous MAC, holding the head's row lock
    until the surrounding transaction ends.

    The number is normally the head's plus one. If events already sit at or past it
    (inserted behind the application's back: the head was never moved for them), taking it
    would fail on the primary key and so stop every audited action, sign-ins included. So
    the new event goes after the last of them instead, still chained to the head's MAC
    (the portal's own chain stays whole around the intruder, which verification goes on
    reporting), and an alert is raised in the same transaction for staff to see.
    """
    heads = AuditChainHead.objects.filter(pk=HEAD_ID)
    if not heads.update(last_seq=F("last_seq") + 1):
        _create_head()
        heads.update(last_seq=F("last_seq") + 1)
    # One query: the head and the highest event at or past its new number (normally none).
    stray_last = AuditEvent.objects.filter(seq__gte=OuterRef("last_seq")).order_by("-seq")
    seq, mac, last_stray = heads.annotate(
        last_stray=Subquery(stray_last.values("seq")[:1])
    ).values_list("last_seq", "last_mac", "last_stray").get()
    if last_stray is not None:
        _raise_stray_events_alert(from_seq=seq, last_seq=last_stray)
        seq = last_stray + 1 if last_stray < MAX_SEQ else _first_free_seq(seq)
        # On PostgreSQL the insert trigger accepts only the head's number: move it first.
        heads.update(last_seq=seq)
    return seq, bytes(mac)


def _first_free_seq(start: int) -> int:
    """The lowest number at or after ``start`` that no event holds.

    Used only when a stray event sits at the largest number a column can hold, where
    "after the last of them" does not exist: without this, that one row would stop every
    audited action again, on an overflow instead of the primary key.
    """
    free = start
    taken = AuditEvent.objects.filter(seq__gte=start).order_by("seq")
    for seq in taken.values_list("seq", flat=True).iterator(chunk_size=500):
        if seq != free:
            break
        free += 1
    return free


def _raise_stray_events_alert(*, from_seq: int, last_seq: int) -> None:
    stray = AuditEvent.objects.filter(seq__gte=from_seq, seq__lte=last_seq)
    found = stray.aggregate(first=Min("seq"), rows=Count("seq"))
    # A stray at the largest number stays past the head for good: one alert for the same
    # strays, not one per action.
    if AuditAlert.objects.filter(kind=AuditAlert.Kind.EVENTS_PAST_HEAD,
                                 first_seq=found["first"], last_seq=last_seq,
                                 rows=found["rows"]).exists():
        return
    AuditAlert.objects.create(
        kind=AuditAlert.Kind.EVENTS_PAST_HEAD,
        first_seq=found["first"],
        last_seq=last_seq,
        rows=found["rows"],
    )
    logger.error("Audit trail: %s event(s) past the chain head, from #%s to #%s; recording "
                 "continues after them", found["rows"], found["first"], last_seq)


def _create_head() -> None:
    """The head row is made on first use, continuing from the last stored event if any
    (so a database restored without it carries on the same chain).

    Events without a head are not normal: a restore that missed the one-row table, or
    someone who cut events from the end and removed the head that would have shown it.
    Rebuilding keeps the portal working, and raises an alert saying from which event, so
    the second case cannot pass quietly (a kept anchor tells the two apart).
    """
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "mac").first()
    seq, mac = (last[0], bytes(last[1])) if last else (0, GENESIS_MAC)
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=HEAD_ID, last_seq=seq, last_mac=mac)
    except IntegrityError:
        return  # another writer made it first; its row is the one we lock
    if last:
        AuditAlert.objects.create(kind=AuditAlert.Kind.HEAD_REBUILT, first_seq=seq,
                                  last_seq=seq)
        logger.error("Audit trail: the chain head was missing; rebuilt from event #%s", seq)


def _subject_id(subject: User | uuid.UUID | None) -> uuid.UUID | None:
    if subject is None or isinstance(subject, uuid.UUID):
        return subject
    return subject.pk


def _target(target: models.Model | tuple[str, object] | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        return target[0], str(target[1])
    return target._meta.label_lower, str(target.pk)


def record_event(
    action: Action,
    *,
    actor: User | AnonymousUser | None,
    subject: User | uuid.UUID | None = None,
    target: models.Model | tuple[str, object] | None = None,
    detail: Mapping[str, Any] | None = None,
    origin: RequestOrigin | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction.

    ``actor`` is the person acting (``None`` for the system, an anonymous user for a failed
    sign-in); ``subject`` is the client whose record is concerned; ``target`` the object
    acted on (its type and id only). The request's IP address and user agent are kept for
    staff and for security events, not for a client going about their own intake.
    """
    action = Action(action)
    spec = spec_for(action)
    clean_detail = _check_detail(action, detail or {})
    origin = origin or current_origin()
    keep_origin = spec.security or (actor is not None and is_staff_member(actor))
    object_type, object_id = _target(target)
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    with transaction.atomic():
        seq, previous_mac = _advance_head()
        event = AuditEvent(
            seq=seq,
            occurred_at=timezone.now(),
            actor_id=actor_id,
            actor_role=role_label(actor),
            action=action.value,
            subject_id=_subject_id(subject),
            object_type=object_type,
            object_id=object_id,
            request_id=origin.request_id,
            ip_address=(origin.ip_address or "") if keep_origin else "",
            user_agent=_CONTROL_CHARS.sub("", origin.user_agent) if keep_origin else "",
            detail_json=detail_text(clean_detail),
            prev_mac=previous_mac,
        )
        event.mac = event_mac(audit_key(), previous_mac, canonical_content(event_texts(event)))
        event.save()
        AuditChainHead.objects.filter(pk=HEAD_ID).update(last_mac=event.mac)
    return event


def record_events(
    action: Action,
    *,
    actor: User | AnonymousUser | None,
    subjects: Sequence[uuid.UUID],
    target: models.Model | tuple[str, object] | None = None,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """Append one event per subject, the same in all else (a staff member opening a list
    that decrypts something of each client on it), in a fixed number of queries however
    many subjects: the head moves past them all at once, the events are chained in order
    in memory and inserted in one statement, then the head takes the last one's MAC. Each
    client still finds the event in their own "Who has opened my record", and the chain
    verifies event by event as if they had been recorded one at a time.

    If stray events sit past the head (see ``_advance_head``), this falls back to one
    ``record_event`` per subject, which routes round them and raises the alert. Returns the
    number of events recorded."""
    if not subjects:
        return 0
    action = Action(action)
    spec = spec_for(action)
    clean_detail = detail_text(_check_detail(action, detail or {}))
    origin = current_origin()
    keep_origin = spec.security or (actor is not None and is_staff_member(actor))
    object_type, object_id = _target(target)
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    count = len(subjects)
    with transaction.atomic():
        heads = AuditChainHead.objects.filter(pk=HEAD_ID)
        if not heads.update(last_seq=F("last_seq") + count):
            _create_head()
            heads.update(last_seq=F("last_seq") + count)
        stray = AuditEvent.objects.filter(seq__gt=OuterRef("last_seq") - count).values("seq")
        last_seq, mac, has_stray = heads.annotate(
            has_stray=Subquery(stray[:1])).values_list("last_seq", "last_mac", "has_stray").get()
        if has_stray is not None:
            heads.update(last_seq=F("last_seq") - count)
            for subject in subjects:
                record_event(action, actor=actor, subject=subject, target=target,
                             detail=detail)
            return count
        previous_mac = bytes(mac)
        now = timezone.now()
        events = []
        for offset, subject in enumerate(subjects):
            event = AuditEvent(
                seq=last_seq - count + 1 + offset, occurred_at=now, actor_id=actor_id,
                actor_role=role_label(actor), action=action.value, subject_id=subject,
                object_type=object_type, object_id=object_id, request_id=origin.request_id,
                ip_address=(origin.ip_address or "") if keep_origin else "",
                user_agent=_CONTROL_CHARS.sub("", origin.user_agent) if keep_origin else "",
                detail_json=clean_detail, prev_mac=previous_mac,
            )
            event.mac = event_mac(audit_key(), previous_mac,
                                  canonical_content(event_texts(event)))
            previous_mac = event.mac
            events.append(event)
        _insert_in_one_statement(events)
        heads.update(last_mac=previous_mac)
    return count


def _insert_in_one_statement(events: list[AuditEvent]) -> None:
    """Insert ``events`` with one ``executemany`` (one statement for the database, one
    query however many rows: ``bulk_create`` splits into batches on SQLite). Each value is
    prepared by its own field, as ``save`` would."""
    fields = AuditEvent._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column or f.attname) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608  # nosec B608 - _meta names
    rows = [[f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
            for event in events]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@transaction.atomic
def audit_alerts_acknowledge(*, actor: User | None = None) -> int:
    """Mark every open alert acknowledged (an operator has looked into it), and record
    that, with how many, in the chain. Returns how many were open; none, nothing recorded.

    Acknowledging clears the staff banner only: a stray event stays where it is, and
    ``verify_audit_log`` goes on naming it (the runbook says not to repair the table).
    """
    opened = list(AuditAlert.objects.select_for_update().filter(acknowledged_at__isnull=True)
                  .values_list("pk", flat=True))
    if not opened:
        return 0
    AuditAlert.objects.filter(pk__in=opened).update(acknowledged_at=timezone.now())
    record_event(Action.AUDIT_ALERTS_ACKNOWLEDGED, actor=actor, detail={"alerts": len(opened)})
    return len(opened)
