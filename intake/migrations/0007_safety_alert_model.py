"""The safety alert as its own row (``SafetyAlert``: raised, emailed and why, closed and by
whom), and the link from each acknowledgement to it.

The first of three steps: this one only adds. ``0008`` fills the new rows from the intake's
``needs_prompt_review``/``prompt_review_*`` columns and links the acknowledgements;
``0009`` drops those columns. The acknowledgement's link to the intake becomes nullable
here so that ``0009`` can drop it and migrating back can add it again to a table with rows.
Three migrations, not one: on PostgreSQL a table cannot be altered in the transaction that
has just written rows to it with deferred foreign-key checks pending.
"""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0006_prompt_review_alerted_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SafetyAlert',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('raised_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('emailed_at', models.DateTimeField(blank=True, null=True)),
                ('trigger', models.CharField(blank=True, choices=[('submitted', 'A flagged intake was sent'), ('draft_unsent', "A flagged draft was left unsent past the practice's hours")], max_length=16)),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('intake', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='safety_alert', to='intake.intake')),
            ],
            options={
                'constraints': [
                    models.CheckConstraint(condition=models.Q(models.Q(('emailed_at__isnull', True), ('trigger', '')), models.Q(('emailed_at__isnull', False), ('trigger__in', ['submitted', 'draft_unsent'])), _connector='OR'), name='intake_safetyalert_emailed_with_its_trigger'),
                    models.CheckConstraint(condition=models.Q(('closed_by__isnull', True), ('closed_at__isnull', False), _connector='OR'), name='intake_safetyalert_closed_by_only_when_closed'),
                ],
            },
        ),
        migrations.AddField(
            model_name='safetyalertacknowledgement',
            name='alert',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='acknowledgements', to='intake.safetyalert'),
        ),
        migrations.AlterField(
            model_name='safetyalertacknowledgement',
            name='intake',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='acknowledgements', to='intake.intake'),
        ),
    ]
