"""Recording: the one function through which every audit event is written.

Services call ``record_event`` inside their own transaction, so an action that rolls back
leaves no event, and an action that commits always has its event. Appends serialise on the
chain head's row lock: the lock is held from the append to the end of the caller's
transaction, so callers record last, just before they return.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, models, transaction
from django.db.models import F
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
from portal.audit.models import AuditChainHead, AuditEvent
from portal.models import User
from portal.roles import is_staff_member, primary_role

HEAD_ID = 1
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
    until the surrounding transaction ends."""
    heads = AuditChainHead.objects.filter(pk=HEAD_ID)
    if not heads.update(last_seq=F("last_seq") + 1):
        _create_head()
        heads.update(last_seq=F("last_seq") + 1)
    seq, mac = heads.values_list("last_seq", "last_mac").get()
    return seq, bytes(mac)


def _create_head() -> None:
    """The head row is made on first use, continuing from the last stored event if any
    (so a database restored without it carries on the same chain)."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "mac").first()
    seq, mac = (last[0], bytes(last[1])) if last else (0, GENESIS_MAC)
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=HEAD_ID, last_seq=seq, last_mac=mac)
    except IntegrityError:
        pass  # another writer made it first; its row is the one we lock


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

