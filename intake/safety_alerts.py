"""Safety alert writes: raising an intake's alert, and closing it with acknowledgements.

The only way to change a ``SafetyAlert``, so its rules hold in one place: an intake raises
at most one alert and it stays raised; the first acknowledgement closes it, and says who
and when; every acknowledgement is kept with its note, encrypted under the client's key;
each stored acknowledgement is on the audit trail (ids only); a resent form stores nothing.
Every write holds the intake's row lock, as the client's saves and the alert emails
(``intake.notifications``) do, so none of them overtakes another. Callers check access
first (``get_intake_for_staff``); reads are in ``intake.selectors``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from intake.models import (
    ACKNOWLEDGEMENT_NOTE_MAX_LENGTH,
    Intake,
    SafetyAlert,
    SafetyAlertAcknowledgement,
)
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import User
from portal.text import visible_length, without_control_characters

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
    alert = SafetyAlert(intake=intake, raised_at=timezone.now())
    alert.full_clean(validate_unique=False, validate_constraints=True)
    try:
        with transaction.atomic():
            alert.save(force_insert=True)
    except IntegrityError:
        alert = SafetyAlert.objects.get(intake=intake)
        intake.safety_alert = alert
    return alert


def clean_acknowledgement_note(note: str) -> str:
    """The note as it will be stored: line endings made plain, control characters removed,
    blank edges trimmed. Refuses (``ValidationError``) a note with nothing visible in it and
    one over 1,000 characters: an acknowledgement must say what was done, in a few
    sentences."""
    plain = without_control_characters(note.replace("\r\n", "\n").replace("\r", "\n"))
    cleaned = plain.strip()
    if not visible_length(cleaned):
        raise ValidationError("Please write what you did or will do, for example \"Called the "
                              "client, safety plan agreed\".", code="required")
    if len(cleaned) > ACKNOWLEDGEMENT_NOTE_MAX_LENGTH:
        raise ValidationError(
            f"Please keep the note to {ACKNOWLEDGEMENT_NOTE_MAX_LENGTH:,} characters or fewer "
            f"(it has {len(cleaned):,}).", code="max_length")
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
    they did or will do. The caller has checked that ``by`` may open the intake
    (``get_intake_for_staff``: a stranger gets a 404 before reaching here).

    The first acknowledgement closes the alert (``closed_at``, ``closed_by``); a later one,
    from a colleague or the same person, is added to it and leaves the closing as it is.
    Every one is kept as a ``SafetyAlertAcknowledgement`` (who, when, the note). The same
    person sending the same note again within ``ACKNOWLEDGEMENT_RESEND_WINDOW`` (a double
    click) stores nothing and records nothing.

    The note is clinical content about the client, so it is stored encrypted under the
    client's data key and never reaches the audit trail: each stored acknowledgement records
    one ``intake.review_acknowledged`` event about the intake, with ids only, because the
    trail outlives erasure. An invalid note raises ``ValidationError`` and saves nothing; an
    erased client raises ``KeyDestroyedError`` (nothing new can be stored for them) and
    saves nothing.
    """
    cleaned = clean_acknowledgement_note(note)
    intake = Intake.objects.select_for_update().only("id", "client_id").get(pk=alert.intake_id)
    alert = SafetyAlert.objects.select_related("closed_by").get(pk=alert.pk)
    alert.intake = intake
    now = timezone.now()
    if _resent(alert, by, cleaned, now):
        return AcknowledgementOutcome(alert, None)
    acknowledgement = SafetyAlertAcknowledgement(
        alert=alert, client_id=intake.client_id, by=by, at=now, note=cleaned
    )
    acknowledgement.full_clean()
    acknowledgement.save(force_insert=True)
    first = alert.is_open
    if first:
        alert.closed_at = now
        alert.closed_by = by
        alert.full_clean(validate_unique=False)
        alert.save(update_fields=["closed_at", "closed_by"])
    record_event(Action.INTAKE_REVIEW_ACKNOWLEDGED, actor=by, subject=intake.client_id,
                 target=intake)
    return AcknowledgementOutcome(alert, acknowledgement, first)
