"""Safety alerts beyond intakes (issue 18): a check-in's safety answer raises an alert too.

Three steps in one migration:
- schema: the alert gains ``client`` and ``case`` (whose record it belongs to, so who may
  see it is decided as for any record kept per case), ``source`` ("intake" | "check_in")
  and ``check_in_id`` (the measures app's row, by id: no foreign key across apps); the
  ``intake`` link becomes optional; the trigger may be "check_in";
- backfill: every existing alert is an intake's, so its client and case are its intake's;
- tighten: ``client`` becomes required, and a check constraint says an alert has exactly one
  of an intake and a check-in, matching its source.

Reversible. Going back deletes the check-in alerts (and their acknowledgements): the older
schema has no place for an alert without an intake. Intake alerts lose nothing.

On PostgreSQL the backfill's foreign-key checks are deferred to the end of the transaction,
and a table with pending checks cannot be altered: the backfill asks for its checks at once
(``SET CONSTRAINTS ALL IMMEDIATE``) so the tightening that follows may alter the table.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def _checks_now(schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def alerts_take_their_intakes_record(apps, schema_editor):
    """Each alert's client and case are its intake's. Only alerts without a client yet are
    touched, so running it again changes nothing."""
    SafetyAlert = apps.get_model("intake", "SafetyAlert")
    Intake = apps.get_model("intake", "Intake")
    of_intake = Intake.objects.filter(pk=OuterRef("intake_id"))
    SafetyAlert.objects.filter(client__isnull=True, intake__isnull=False).update(
        client_id=Subquery(of_intake.values("client_id")[:1]),
        case_id=Subquery(of_intake.values("case_id")[:1]),
        source="intake",
    )
    _checks_now(schema_editor)


def forget_check_in_alerts(apps, schema_editor):
    """Back to alerts of intakes only: the check-in alerts go, with their acknowledgements
    (the older schema cannot hold an alert without an intake)."""
    SafetyAlert = apps.get_model("intake", "SafetyAlert")
    SafetyAlertAcknowledgement = apps.get_model("intake", "SafetyAlertAcknowledgement")
    check_in_alerts = SafetyAlert.objects.filter(intake__isnull=True)
    SafetyAlertAcknowledgement.objects.filter(alert__in=check_in_alerts).delete()
    check_in_alerts.delete()
    _checks_now(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0012_instrument_versions'),
        ('portal', '0017_measures_settings'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Schema.
        migrations.RemoveConstraint(
            model_name='safetyalert',
            name='intake_safetyalert_emailed_with_its_trigger',
        ),
        migrations.AddField(
            model_name='safetyalert',
            name='case',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='portal.case'),
        ),
        migrations.AddField(
            model_name='safetyalert',
            name='check_in_id',
            field=models.UUIDField(blank=True, null=True, unique=True),
        ),
        migrations.AddField(
            model_name='safetyalert',
            name='client',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='safetyalert',
            name='source',
            field=models.CharField(choices=[('intake', 'An intake'), ('check_in', 'A check-in')], default='intake', max_length=16),
        ),
        migrations.AlterField(
            model_name='safetyalert',
            name='intake',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='safety_alert', to='intake.intake'),
        ),
        migrations.AlterField(
            model_name='safetyalert',
            name='trigger',
            field=models.CharField(blank=True, choices=[('submitted', 'A flagged intake was sent'), ('draft_unsent', "A flagged draft was left unsent past the practice's hours"), ('check_in', 'A check-in answer was saved')], max_length=16),
        ),
        migrations.AlterField(
            model_name='safetyalertacknowledgement',
            name='client',
            field=models.ForeignKey(help_text="The alert's client: whose data key protects the note.", on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        # Backfill.
        migrations.RunPython(alerts_take_their_intakes_record, forget_check_in_alerts),
        # Tighten.
        migrations.AlterField(
            model_name='safetyalert',
            name='client',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='safetyalert',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('emailed_at__isnull', True), ('trigger', '')), models.Q(('emailed_at__isnull', False), ('trigger__in', ['submitted', 'draft_unsent', 'check_in'])), _connector='OR'), name='intake_safetyalert_emailed_with_its_trigger'),
        ),
        migrations.AddConstraint(
            model_name='safetyalert',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('check_in_id__isnull', True), ('intake__isnull', False), ('source', 'intake')), models.Q(('check_in_id__isnull', False), ('intake__isnull', True), ('source', 'check_in')), _connector='OR'), name='intake_safetyalert_one_source'),
        ),
    ]
