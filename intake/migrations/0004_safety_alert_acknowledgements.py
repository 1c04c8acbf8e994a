"""Every acknowledgement of a safety alert, not only the first: a table of them (the note
encrypted under the client's data key), and a copy of each intake's existing first
acknowledgement into it.

The copy cannot move ciphertext as it is: a value is bound to its model, field and row
(associated data), so the old note is decrypted and sealed again for the new row. The
historical models cannot encrypt (they lack ``get_encryption_owner()``), so the sealing uses
the live field and an unsaved live instance that names the key owner, and the sealed value
is written with ``QuerySet.update`` on the historical model (see docs/key-management.md,
"Moving a plaintext column"). A client erased before this migration has no key left: their
acknowledgement is copied with who and when, and no note (it could not be read anyway).
"""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import portal.crypto.fields


def copy_first_acknowledgements(apps, schema_editor):
    """One ``SafetyAlertAcknowledgement`` per acknowledged intake, from the intake's
    ``prompt_review_acknowledged_at``/``_by``/``prompt_review_note``. Intakes that already
    have acknowledgements are skipped, so running it again adds nothing."""
    from intake.models import SafetyAlertAcknowledgement as LiveAcknowledgement
    from portal.crypto.datakeys import key_scope
    from portal.crypto.errors import KeyDestroyedError
    from portal.crypto.fields import encrypt_for

    Intake = apps.get_model("intake", "Intake")
    Acknowledgement = apps.get_model("intake", "SafetyAlertAcknowledgement")
    new_field = LiveAcknowledgement._meta.get_field("note")
    done = set(Acknowledgement.objects.values_list("intake_id", flat=True))
    acknowledged = Intake.objects.filter(prompt_review_acknowledged_at__isnull=False).only(
        "id", "client_id", "prompt_review_acknowledged_at", "prompt_review_acknowledged_by_id",
        "prompt_review_note",
    ).order_by("prompt_review_acknowledged_at", "pk")
    with key_scope():
        for intake in list(acknowledged):
            if intake.pk in done:
                continue
            try:
                # The field's descriptor decrypts (reading needs no key owner, only the key
                # the envelope names).
                note = intake.prompt_review_note
            except KeyDestroyedError:
                note = None  # the client was erased: the note is already unreadable
            row_id = uuid.uuid4()
            Acknowledgement.objects.create(
                id=row_id, intake_id=intake.pk, client_id=intake.client_id,
                by_id=intake.prompt_review_acknowledged_by_id,
                at=intake.prompt_review_acknowledged_at, note=None,
            )
            if note is not None:
                owner = LiveAcknowledgement(id=row_id, client_id=intake.client_id)
                Acknowledgement.objects.filter(pk=row_id).update(
                    note=encrypt_for(owner, new_field, note)
                )

class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0003_review_note_and_reviewed'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SafetyAlertAcknowledgement',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('note', portal.crypto.fields.EncryptedTextField(blank=True, max_length=1000, null=True)),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('client', models.ForeignKey(help_text="The intake's client: whose data key protects the note.", on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('intake', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='acknowledgements', to='intake.intake')),
            ],
            options={
                'ordering': ('at', 'id'),
            },
        ),
        migrations.RunPython(copy_first_acknowledgements, migrations.RunPython.noop),
    ]
