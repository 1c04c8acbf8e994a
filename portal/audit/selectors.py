"""Reading the audit trail: who may see which events, and the names to show beside them.

Events hold ids only. Names are looked up when a page is shown, for that page's events in a
single query, and an actor or client whose account is gone is shown as such: history is
never rewritten to fit today's accounts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.audit.actions import RECORD_ACCESS_ACTIONS, SECURITY_ACTIONS, Action, spec_for
from portal.audit.models import AuditAlert, AuditEvent
from portal.models import CareAssignment, CaseParticipant, User
from portal.roles import ROLE_LABELS, Role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Roles an actor may have held when opening a client's record: anyone but the client.
STAFF_ACTOR_ROLES = frozenset(
    {Role.CLINICIAN.value, Role.PRACTICE_ADMIN.value, "superuser", "none"}
)
ACTOR_ROLE_LABELS: dict[str, StrOrPromise] = {
    **{role.value: label for role, label in ROLE_LABELS.items()},
    "superuser": _("Superuser"),
    "none": _("No role"),
    "system": _("System"),
    "anonymous": _("Not signed in"),
}
# What a client reads in brackets after a staff name ("Dr. Lee (Clinician)").
CLIENT_FACING_ROLE_LABELS = {
    role.value: label for role, label in ROLE_LABELS.items() if role != Role.CLIENT
}
UNKNOWN_CLIENT = _("erased/unknown")
UNKNOWN_ACTOR = _("Deleted account")
STAFF_FALLBACK_NAME = _("A member of the practice's staff")
HIDDEN_DETAIL = _("(hidden)")
# Each alert is one intrusion found; past the first ten, more would tell staff nothing new.
MAX_ALERTS_SHOWN = 10
# The same shape record_event enforces; checked again on display, in case a row predates it.
_TOKEN = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")


def events_visible_to(user: User | AnonymousUser) -> QuerySet[AuditEvent]:
    """The audit events ``user`` may read: this decides what the audit pages show.

    ``portal.view_audit_log`` (practice admins, superusers) reads every event. Other staff
    (``portal.access_staff_pages``, i.e. clinicians) read only events about clients on their
    care team or in a case on their care team: the ``subject_id`` must be one of those
    clients, so key rotations and
    other clients' events stay out of sight, and not their clients' security events
    (sign-ins with IP address and user agent, second-factor changes): a clinician needs to
    know who opened the record, not where the client signs in from. Everyone else reads
    nothing.
    """
    if not user.is_authenticated:
        return AuditEvent.objects.none()
    if user.has_perm("portal.view_audit_log"):
        return AuditEvent.objects.all()
    if user.has_perm("portal.access_staff_pages"):
        caseload = CareAssignment.objects.filter(clinician=user).values("client_id")
        in_cases = CaseParticipant.objects.filter(
            case__care_team__clinician=user, person__isnull=False).values("person_id")
        return AuditEvent.objects.filter(
            Q(subject_id__in=caseload) | Q(subject_id__in=in_cases)).exclude(
            action__in=sorted(SECURITY_ACTIONS)
        )
    return AuditEvent.objects.none()


def open_audit_alerts(user: User | AnonymousUser) -> list[AuditAlert]:
    """The alerts not yet acknowledged, oldest first, for those who read the whole trail
    (``portal.view_audit_log``: practice admins, superusers); an empty list for anyone else.

    Sequence numbers and times only: an alert names no person.
    """
    if not user.is_authenticated or not user.has_perm("portal.view_audit_log"):
        return []
    return list(AuditAlert.objects.filter(acknowledged_at__isnull=True)[:MAX_ALERTS_SHOWN])


def record_access_for_client(client: User) -> QuerySet[AuditEvent]:
    """Staff opening or exporting ``client``'s record, newest first: the client's own
    "Who has opened my record" list.

    Only record-access actions about this client, and only by someone other than the client
    (their own visits to their pages are not "someone opening my record").
    """
    return (
        AuditEvent.objects.filter(
            subject_id=client.pk,
            action__in=sorted(RECORD_ACCESS_ACTIONS),
            actor_role__in=sorted(STAFF_ACTOR_ROLES),
        )
        .exclude(actor_id=client.pk)
        .order_by("-seq")
    )


# Filters ---------------------------------------------------------------------------------


def _start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in the practice's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_events(
    events: QuerySet[AuditEvent], filters: Mapping[str, Any]
) -> tuple[QuerySet[AuditEvent], bool]:
    """Narrow ``events`` by the audit filter form's cleaned data; also say whether any
    filter applied. Dates are practice-local days, and ``date_to`` includes its whole day."""
    applied = False
    if filters.get("client"):
        events, applied = events.filter(subject_id=filters["client"]), True
    if filters.get("actor"):
        events, applied = events.filter(actor_id=filters["actor"]), True
    if filters.get("action"):
        events, applied = events.filter(action=filters["action"]), True
    if filters.get("date_from"):
        events, applied = events.filter(occurred_at__gte=_start_of_day(filters["date_from"])), True
    if filters.get("date_to"):
        next_day = _start_of_day(filters["date_to"] + timedelta(days=1))
        events, applied = events.filter(occurred_at__lt=next_day), True
    return events, applied


# Names beside events ---------------------------------------------------------------------


@dataclass(frozen=True)
class StaffEventRow:
    """One event as the staff audit page shows it."""

    event: AuditEvent
    actor_name: str
    actor_role_label: str
    action_label: str
    client_label: str
    detail_text: str


@dataclass(frozen=True)
class ClientAccessEntry:
    """One line of a client's "Who has opened my record": a staff name, a role, what they
    did in the client's words, and when. Nothing else about the staff member.

    ``sentence`` is the whole line in the page's language, name and role included ("Dr. Lee
    (Clinician) opened your intake"): one translated sentence per action, never pieces."""

    name: str
    role_label: str
    sentence: str
    occurred_at: datetime


def _ids(values: Iterable[uuid.UUID | None]) -> set[uuid.UUID]:
    return {value for value in values if value is not None}


def _text(value: StrOrPromise, fallback: str = "") -> str:
    return str(value) if value else fallback


def action_label(action: str) -> str:
    try:
        return spec_for(action).label
    except ValueError:
        return action


def detail_text(detail: Any) -> str:
    """The detail payload compactly (``rows=12 filtered=true``), showing only token values."""
    hidden = str(HIDDEN_DETAIL)
    if not isinstance(detail, dict):
        return hidden if detail else ""
    parts = []
    for key in sorted(detail):
        value = detail[key]
        items = value if isinstance(value, list) else [value]
        shown = []
        for item in items:
            if item is None or isinstance(item, bool):
                shown.append("null" if item is None else str(item).lower())
            elif isinstance(item, int) or (isinstance(item, str) and _TOKEN.match(item)):
                shown.append(str(item))
            else:
                shown.append(hidden)
        key_text = key if _TOKEN.match(str(key)) else hidden
        parts.append(f"{key_text}={','.join(shown)}")
    return " ".join(parts)


def with_staff_names(events: Sequence[AuditEvent]) -> list[StaffEventRow]:
    """The events of one page with actor and client names, looked up in one query.

    Staff see an actor's display name (or email when it has none) and the client's display
    name or email; an account that no longer exists shows as deleted or unknown.
    """
    wanted = _ids(e.actor_id for e in events) | _ids(e.subject_id for e in events)
    people: dict[uuid.UUID, str] = {}
    if wanted:
        accounts = User.objects.filter(pk__in=wanted).values_list("pk", "display_name", "email")
        people = {pk: display_name or email for pk, display_name, email in accounts}
    rows = []
    for event in events:
        role_label = str(ACTOR_ROLE_LABELS.get(event.actor_role, event.actor_role))
        if event.actor_id is None:
            actor_name = role_label
        else:
            actor_name = people.get(event.actor_id) or str(UNKNOWN_ACTOR)
        client_label = ""
        if event.subject_id is not None:
            client_label = people.get(event.subject_id) or str(UNKNOWN_CLIENT)
        rows.append(
            StaffEventRow(
                event=event,
                actor_name=actor_name,
                actor_role_label=role_label,
                action_label=action_label(event.action),
                client_label=client_label,
                detail_text=detail_text(event.detail),
            )
        )
    return rows


def with_client_safe_names(events: Sequence[AuditEvent]) -> list[ClientAccessEntry]:
    """Record-access events as a client sees them, names looked up in one query.

    A client learns a staff member's display name and role, never their email: a blank
    display name or a deleted account reads "A member of the practice's staff". Each line
    is one translated sentence of its action, in the active language.
    """
    wanted = _ids(e.actor_id for e in events)
    names: dict[uuid.UUID | None, str] = {}
    if wanted:
        names = dict(User.objects.filter(pk__in=wanted).values_list("pk", "display_name"))
    entries = []
    for event in events:
        name = (names.get(event.actor_id) or "").strip() or str(STAFF_FALLBACK_NAME)
        role_label = _text(CLIENT_FACING_ROLE_LABELS.get(event.actor_role, ""))
        entries.append(
            ClientAccessEntry(
                name=name,
                role_label=role_label,
                sentence=client_sentence(event.action, name=name, role_label=role_label),
                occurred_at=event.occurred_at,
            )
        )
    return entries


def client_sentence(action: str, *, name: str, role_label: str = "") -> str:
    """What a staff member did, as one sentence a client reads: "Dr. Lee (Clinician)
    opened your intake". The action's own sentence (``ActionSpec.client_sentence``) holds
    the person as ``%(person)s``, so each language orders the words its own way."""
    person = (gettext("%(name)s (%(role)s)") % {"name": name, "role": role_label}
              if role_label else name)
    return spec_for(Action(action)).client_sentence % {"person": person}
