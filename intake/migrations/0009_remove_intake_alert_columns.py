"""The last of three steps (see ``0007``): every acknowledgement now points at its alert,
and the intake's alert columns, copied into ``SafetyAlert`` rows by ``0008``, go. Nothing
reads them any more: the alert lives in one place."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0008_safety_alerts_from_intake_columns'),
    ]

    operations = [
        migrations.AlterField(
            model_name='safetyalertacknowledgement',
            name='alert',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='acknowledgements', to='intake.safetyalert'),
        ),
        migrations.RemoveField(
            model_name='safetyalertacknowledgement',
            name='intake',
        ),
        migrations.RemoveField(
            model_name='intake',
            name='needs_prompt_review',
        ),
        migrations.RemoveField(
            model_name='intake',
            name='prompt_review_raised_at',
        ),
        migrations.RemoveField(
            model_name='intake',
            name='prompt_review_alerted_at',
        ),
        migrations.RemoveField(
            model_name='intake',
            name='prompt_review_acknowledged_at',
        ),
        migrations.RemoveField(
            model_name='intake',
            name='prompt_review_acknowledged_by',
        ),
        migrations.RemoveField(
            model_name='intake',
            name='prompt_review_note',
        ),
    ]
