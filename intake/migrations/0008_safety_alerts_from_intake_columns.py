"""One ``SafetyAlert`` per intake that raised one, from the intake's columns, and every
acknowledgement linked to it (the second of three steps, see ``0007``). Reversible: going
back fills the intake's columns again from the alerts.

Forward, for each intake with ``needs_prompt_review`` (or, defensively, acknowledged or with
acknowledgement rows):
- ``raised_at`` is ``prompt_review_raised_at``; for intakes flagged before that column
  existed, the submission (else the last save), as the staff home already showed it, or the
  acknowledgement if that was earlier;
- ``emailed_at`` is ``prompt_review_alerted_at``; its ``trigger`` is "submitted" when the
  email left at or after the submission, else "draft_unsent" (the flagged draft waited);
- ``closed_at``/``closed_by`` are ``prompt_review_acknowledged_at``/``_by``;
- the acknowledgement rows of the intake point at the alert. A closed alert with no row
  (none should exist: ``0004`` copied the first acknowledgements, the service writes both)
  gets its closing acknowledgement from the intake's columns, so the staff page, which no
  longer reads those columns, never shows less than they held.

A note cannot move as ciphertext: a value is bound to its model, field and row (associated
data). Where one must be written (the missing closing acknowledgement forward, the intake's
``prompt_review_note`` backward) it is decrypted and sealed again for its new place, with the
live field (historical models cannot encrypt: they lack ``get_encryption_owner()``) and an
unsaved live instance naming the key owner, as ``0004`` does (docs/key-management.md,
"Moving a plaintext column"). A client erased before this ran has no key left: nothing of
theirs can be sealed, and their note was unreadable anyway, so none is written.

Going back loses nothing the old columns could hold: an alert's time raised was unknown on
the oldest intakes and stays the value given to it here; the trigger was never stored (the
audit trail keeps it, per email sent).
"""

import uuid

from django.db import migrations
from django.db.models import Q


def _raised_at(intake):
    """When the alert was raised, or the nearest time known for the oldest intakes."""
    if intake.prompt_review_raised_at is not None:
        return intake.prompt_review_raised_at
    known = [intake.submitted_at or intake.updated_at, intake.prompt_review_acknowledged_at]
    return min(when for when in known if when is not None)


def _trigger(intake):
    """Why the care team was emailed: the intake was sent flagged ("submitted": the email
    leaves with the submission), or the flagged draft waited unsent ("draft_unsent": emailed
    while still a draft). Empty while not emailed."""
    emailed = intake.prompt_review_alerted_at
    if emailed is None:
        return ""
    if intake.submitted_at is not None and emailed >= intake.submitted_at:
        return "submitted"
    return "draft_unsent"


def alerts_from_intake_columns(apps, schema_editor):
    """A ``SafetyAlert`` for each intake that raised one, its acknowledgements linked to it.
    Intakes that already have their alert are skipped, so running it again adds nothing."""
    from intake.models import SafetyAlertAcknowledgement as LiveAcknowledgement
    from portal.crypto.datakeys import key_scope
    from portal.crypto.errors import KeyDestroyedError
    from portal.crypto.fields import encrypt_for

    Intake = apps.get_model("intake", "Intake")
    SafetyAlert = apps.get_model("intake", "SafetyAlert")
    Acknowledgement = apps.get_model("intake", "SafetyAlertAcknowledgement")
    live_note = LiveAcknowledgement._meta.get_field("note")
    raised = (Q(needs_prompt_review=True) | Q(prompt_review_acknowledged_at__isnull=False)
              | Q(pk__in=Acknowledgement.objects.values("intake_id")))
    done = set(SafetyAlert.objects.values_list("intake_id", flat=True))
    intakes = Intake.objects.filter(raised).only(
        "id", "client_id", "submitted_at", "updated_at", "prompt_review_raised_at",
        "prompt_review_alerted_at", "prompt_review_acknowledged_at",
        "prompt_review_acknowledged_by_id",
    ).order_by("pk")
    with key_scope():
        for intake in list(intakes):
            if intake.pk in done:
                continue
            rows = Acknowledgement.objects.filter(intake_id=intake.pk).order_by("at", "id")
            first = rows.first()
            closed_at = intake.prompt_review_acknowledged_at
            closed_by_id = intake.prompt_review_acknowledged_by_id
            if closed_at is None and first is not None:
                # Acknowledged without the intake's columns saying so: the first closed it.
                closed_at, closed_by_id = first.at, first.by_id
            alert = SafetyAlert.objects.create(
                id=uuid.uuid4(), intake_id=intake.pk, raised_at=_raised_at(intake),
                emailed_at=intake.prompt_review_alerted_at, trigger=_trigger(intake),
                closed_at=closed_at, closed_by_id=closed_by_id,
            )
            rows.update(alert_id=alert.pk)
            if closed_at is None or first is not None:
                continue
            try:
                # The field's descriptor decrypts (reading needs no key owner, only the key
                # the envelope names).
                note = Intake.objects.only("id", "prompt_review_note").get(
                    pk=intake.pk).prompt_review_note
            except KeyDestroyedError:
                note = None  # the client was erased: the note is already unreadable
            row_id = uuid.uuid4()
            Acknowledgement.objects.create(
                id=row_id, alert_id=alert.pk, intake_id=intake.pk, client_id=intake.client_id,
                by_id=closed_by_id, at=closed_at, note=None,
            )
            if note is not None:
                owner = LiveAcknowledgement(id=row_id, client_id=intake.client_id)
                Acknowledgement.objects.filter(pk=row_id).update(
                    note=encrypt_for(owner, live_note, note))


def intake_columns_from_alerts(apps, schema_editor):
    """Back: each alert's facts into its intake's columns, the closing acknowledgement's
    note sealed again as the intake's ``prompt_review_note``, every acknowledgement pointing
    at its intake again. The alerts themselves go when ``0007`` is undone."""
    from intake.models import Intake as LiveIntake
    from portal.crypto.datakeys import key_scope
    from portal.crypto.errors import KeyDestroyedError
    from portal.crypto.fields import encrypt_for

    Intake = apps.get_model("intake", "Intake")
    SafetyAlert = apps.get_model("intake", "SafetyAlert")
    Acknowledgement = apps.get_model("intake", "SafetyAlertAcknowledgement")
    # The historical field names the column the value is bound to: intake.intake.prompt_review_note.
    intake_note = Intake._meta.get_field("prompt_review_note")
    with key_scope():
        for alert in list(SafetyAlert.objects.order_by("pk")):
            Acknowledgement.objects.filter(alert_id=alert.pk).update(intake_id=alert.intake_id)
            note = None
            closing = (Acknowledgement.objects.filter(alert_id=alert.pk).order_by("at", "id")
                       .first() if alert.closed_at is not None else None)
            if closing is not None:
                try:
                    note = closing.note
                except KeyDestroyedError:
                    note = None  # the client was erased: nothing of theirs can be sealed
            sealed = None
            if note is not None:
                owner = LiveIntake(id=alert.intake_id, client_id=closing.client_id)
                sealed = encrypt_for(owner, intake_note, note)
            Intake.objects.filter(pk=alert.intake_id).update(
                needs_prompt_review=True, prompt_review_raised_at=alert.raised_at,
                prompt_review_alerted_at=alert.emailed_at,
                prompt_review_acknowledged_at=alert.closed_at,
                prompt_review_acknowledged_by_id=alert.closed_by_id,
                prompt_review_note=sealed,
            )


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0007_safety_alert_model'),
    ]

    operations = [
        migrations.RunPython(alerts_from_intake_columns, intake_columns_from_alerts),
    ]
