"""The audit trail (append-only, HMAC-chained) and clinicians' care-team assignments.

On PostgreSQL a trigger refuses UPDATE and DELETE on the event table, for anyone going
around the application; the chain's MACs detect whatever a superuser does anyway.
"""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION portal_audit_event_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_audit_event_append_only
    BEFORE UPDATE OR DELETE ON portal_auditevent
    FOR EACH ROW EXECUTE FUNCTION portal_audit_event_refuse_change();
"""
DROP_APPEND_ONLY_SQL = """
DROP TRIGGER IF EXISTS portal_audit_event_append_only ON portal_auditevent;
DROP FUNCTION IF EXISTS portal_audit_event_refuse_change();
"""


def add_append_only_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL, params=None)


def remove_append_only_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY_SQL, params=None)


def grant_audit_permission(apps, schema_editor):
    app_config = apps.get_app_config("portal")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="portal", codename="view_audit_log")
    Group.objects.get(name="practice_admin").permissions.add(permission)


def revoke_audit_permission(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="portal", codename="view_audit_log").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0006_rebuild_blind_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('last_seq', models.BigIntegerField(default=0)),
                ('last_mac', models.BinaryField(max_length=32)),
            ],
        ),
        migrations.AlterModelOptions(
            name='user',
            options={'permissions': [('access_client_pages', 'Can use the client pages'), ('access_staff_pages', 'Can use the staff workspace'), ('manage_invitations', 'Can invite clients and manage invitations'), ('manage_practice_settings', "Can change the practice's settings"), ('view_audit_log', 'Can search and export the whole audit trail')]},
        ),
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('seq', models.BigIntegerField(primary_key=True, serialize=False)),
                ('occurred_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('actor_id', models.UUIDField(blank=True, null=True)),
                ('actor_role', models.CharField(max_length=32)),
                ('action', models.CharField(max_length=64)),
                ('subject_id', models.UUIDField(blank=True, null=True)),
                ('object_type', models.CharField(blank=True, max_length=64)),
                ('object_id', models.CharField(blank=True, max_length=64)),
                ('request_id', models.CharField(blank=True, max_length=32)),
                ('ip_address', models.CharField(blank=True, max_length=45)),
                ('user_agent', models.CharField(blank=True, max_length=256)),
                ('detail_json', models.TextField(default='{}')),
                ('prev_mac', models.BinaryField(max_length=32)),
                ('mac', models.BinaryField(max_length=32)),
            ],
            options={
                'ordering': ('seq',),
                'indexes': [models.Index(fields=['subject_id', 'seq'], name='audit_subject_seq'), models.Index(fields=['actor_id', 'seq'], name='audit_actor_seq'), models.Index(fields=['action', 'seq'], name='audit_action_seq'), models.Index(fields=['occurred_at'], name='audit_occurred_at')],
            },
        ),
        migrations.CreateModel(
            name='CareAssignment',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('assigned_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='care_team_links', to=settings.AUTH_USER_MODEL)),
                ('clinician', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='caseload_links', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('client', 'clinician'), name='care_assignment_once')],
            },
        ),
        migrations.RunPython(add_append_only_trigger, remove_append_only_trigger),
        migrations.RunPython(grant_audit_permission, revoke_audit_permission),
    ]
