"""Safety alert writes: raising an intake's or a check-in's alert, and closing it with
acknowledgements.

The only way to change a ``SafetyAlert``, so its rules hold in one place: an intake or a
check-in raises at most one alert and it stays raised; the first acknowledgement closes it,
and says who and when; every acknowledgement is kept with its note, encrypted under the
client's key; each stored acknowledgement is on the audit trail (ids only); a resent form
stores nothing. Every write on an intake's alert holds the intake's row lock, as the
client's saves and the alert emails (``intake.notifications``) do, so none of them
overtakes another; a check-in's alert is locked by its own row. Callers check access first
(``get_intake_for_staff``, ``get_alert_for_staff``); reads are in ``intake.selectors``.

A check-in's alert (``raise_check_in_alert``) is emailed to the care team at once, on the
very save that gives the answer: a check-in is a two-minute form with no draft left waiting,
so there is nothing to wait for, and the answer may mean the client is at risk today.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext

from intake.models import (
    ACKNOWLEDGEMENT_NOTE_MAX_LENGTH,
    Intake,
    SafetyAlert,
    SafetyAlertAcknowledgement,
)
from intake.notifications import send_check_in_safety_alert
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import Case, User
from portal.text import has_visible_text, without_control_characters

# The same person sending the same note again this soon is the same acknowledgement (a
# double click, a resent form), not a new one.
ACKNOWLEDGEMENT_RESEND_WINDOW = timedelta(minutes=10)


@transaction.atomic
def raise_alert(*, intake: Intake) -> SafetyAlert:
    """The intake's safety alert, raised now if it has none yet (a safety answer was saved
    or sent). Once raised it stays, with its first time, whatever is answered later: raising
    it again returns it unchanged. The caller holds the intake's row lock (the client's save
    or submission); two raises at once still make one alert (a unique link). Not audited,
    as before: the alert says only that a safety answer was given, and its emails and
    acknowledgements are what the trail records."""
    existing = SafetyAlert.objects.filter(intake=intake).first()
    if existing is not None:
        intake.safety_alert = existing
        return existing
    alert = SafetyAlert(intake=intake, client_id=intake.client_id, case_id=intake.case_id,
                        source=SafetyAlert.Source.INTAKE, raised_at=timezone.now())
    alert.full_clean(validate_unique=False, validate_constraints=True)
    try:
        with transaction.atomic():
            alert.save(force_insert=True)
    except IntegrityError:
        alert = SafetyAlert.objects.get(intake=intake)
        intake.safety_alert = alert
    return alert


@transaction.atomic
def raise_check_in_alert(*, client: User, case: Case | None, check_in_id: uuid.UUID,
                         link: str | None = None) -> SafetyAlert:
    """The safety alert of the check-in ``check_in_id`` (a ``measures.CheckIn``, named by
    id), raised now and emailed to the care team of the client's record (the case's, for a
    check-in of a couple or family case; else the client's; with no clinician, every
    practice admin) in the same transaction, if the check-in has none yet. The email is
    content-free: that a check-in answer needs prompt review, and ``link`` (by default
    the alert's staff page, ``staff_alert_detail``); one ``intake.safety_alert_sent``
    event per recipient (ids and the trigger "check_in").

    Once raised it stays, whatever the client answers later: raising it again (the next
    page's save, a second tab) returns it unchanged and emails no one. Two raises at once
    make one alert and one email (the unique ``check_in_id``: the loser of the race finds
    the winner's). The caller has checked that the check-in is ``client``'s own and holds
    its row lock."""
    existing = SafetyAlert.objects.filter(check_in_id=check_in_id).first()
    if existing is not None:
        return existing
    alert = SafetyAlert(source=SafetyAlert.Source.CHECK_IN, check_in_id=check_in_id,
                        client=client, case=case, raised_at=timezone.now())
    alert.full_clean(validate_unique=False, validate_constraints=True)
    try:
        with transaction.atomic():
            alert.save(force_insert=True)
    except IntegrityError:
        return SafetyAlert.objects.get(check_in_id=check_in_id)
    send_check_in_safety_alert(alert, link=link)
    return alert


def clean_acknowledgement_note(note: str) -> str:
    """The note as it will be stored: line endings made plain, control characters removed,
    blank edges trimmed. Refuses (``ValidationError``) a note with nothing visible in it and
    one over 1,000 characters: an acknowledgement must say what was done, in a few
    sentences."""
    plain = without_control_characters(note.replace("\r\n", "\n").replace("\r", "\n"))
    cleaned = plain.strip()
    if not has_visible_text(cleaned):
        raise ValidationError(gettext("Please write what you did or will do, for example "
                                      "\"Called the client, safety plan agreed\"."),
                              code="required")
    if len(cleaned) > ACKNOWLEDGEMENT_NOTE_MAX_LENGTH:
        raise ValidationError(
            gettext("Please keep the note to %(limit)s characters or fewer (it has "
                    "%(length)s).") % {
                "limit": number_format(ACKNOWLEDGEMENT_NOTE_MAX_LENGTH, force_grouping=True),
                "length": number_format(len(cleaned), force_grouping=True)},
            code="max_length")
    return cleaned


@dataclass(frozen=True)
class AcknowledgementOutcome:
    """What ``close_alert`` did."""

    alert: SafetyAlert
    # The acknowledgement stored now; None when nothing was (a resent form).
    acknowledgement: SafetyAlertAcknowledgement | None
    # It is the alert's first acknowledgement: the one that closed the alert.
    first: bool = False


def _resent(alert: SafetyAlert, by: User, note: str, now: datetime) -> bool:
    """Whether ``by`` stored this very note on this alert within the resend window.
    Decrypts only their own recent notes on this alert, to compare."""
    recent = SafetyAlertAcknowledgement.objects.filter(
        alert=alert, by=by, at__gte=now - ACKNOWLEDGEMENT_RESEND_WINDOW
    ).only("id", "client_id", "note")
    return any(row.note == note for row in recent)


@transaction.atomic
def close_alert(*, alert: SafetyAlert, by: User, note: str) -> AcknowledgementOutcome:
    """A staff member confirms they have seen a safety alert and says, in ``note``, what
    they did or will do. The caller has checked that ``by`` may open the intake, or the
    alert's record for a check-in's alert (``get_intake_for_staff``,
    ``get_alert_for_staff``: a stranger gets a 404 before reaching here).

    The first acknowledgement closes the alert (``closed_at``, ``closed_by``); a later one,
    from a colleague or the same person, is added to it and leaves the closing as it is.
    Every one is kept as a ``SafetyAlertAcknowledgement`` (who, when, the note). The same
    person sending the same note again within ``ACKNOWLEDGEMENT_RESEND_WINDOW`` (a double
    click) stores nothing and records nothing.

    The note is clinical content about the client, so it is stored encrypted under the
    client's data key and never reaches the audit trail: each stored acknowledgement records
    one ``intake.review_acknowledged`` event about the intake (the alert itself, for a
    check-in's), with ids only, because the
    trail outlives erasure. An invalid note raises ``ValidationError`` and saves nothing; an
    erased client raises ``KeyDestroyedError`` (nothing new can be stored for them) and
    saves nothing.
    """
    cleaned = clean_acknowledgement_note(note)
    intake: Intake | None = None
    if alert.intake_id is not None:
        intake = Intake.objects.select_for_update().only("id", "client_id").get(
            pk=alert.intake_id)
        alert = SafetyAlert.objects.select_related("closed_by").get(pk=alert.pk)
        alert.intake = intake
    else:
        alert = SafetyAlert.objects.select_for_update().get(pk=alert.pk)
    now = timezone.now()
    if _resent(alert, by, cleaned, now):
        return AcknowledgementOutcome(alert, None)
    acknowledgement = SafetyAlertAcknowledgement(
        alert=alert, client_id=alert.client_id, by=by, at=now, note=cleaned
    )
    acknowledgement.full_clean()
    acknowledgement.save(force_insert=True)
    first = alert.is_open
    if first:
        alert.closed_at = now
        alert.closed_by = by
        alert.full_clean(validate_unique=False)
        alert.save(update_fields=["closed_at", "closed_by"])
    record_event(Action.INTAKE_REVIEW_ACKNOWLEDGED, actor=by, subject=alert.client_id,
                 target=intake if intake is not None else alert)
    return AcknowledgementOutcome(alert, acknowledgement, first)
