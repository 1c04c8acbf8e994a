"""Intake review: the safety alert's acknowledgement note (encrypted), when the alert was
first raised, and who marked the intake reviewed and when."""

import django.db.models.deletion
import portal.crypto.fields
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0002_intakes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='intake',
            name='prompt_review_note',
            field=portal.crypto.fields.EncryptedTextField(blank=True, max_length=1000, null=True),
        ),
        migrations.AddField(
            model_name='intake',
            name='prompt_review_raised_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='intake',
            name='reviewed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='intake',
            name='reviewed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
    ]
