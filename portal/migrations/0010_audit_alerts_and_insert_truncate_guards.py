"""Alerts for a tampered audit trail, and two more PostgreSQL guards on the event table.

- ``BEFORE INSERT``: an event is accepted only at the chain head, i.e. its ``seq`` is the
  head's ``last_seq`` and its ``prev_mac`` the head's ``last_mac``. The application moves the
  head first (``UPDATE ... SET last_seq = last_seq + 1``, holding the row lock) and inserts
  second, in one transaction, so its own inserts always pass; a row slipped in past the head,
  which would otherwise take the number the next sign-in needs, is refused.
- ``BEFORE TRUNCATE``: refused like UPDATE and DELETE (row triggers never see a TRUNCATE).

A superuser or the table owner can still switch triggers off (``ALTER TABLE ... DISABLE
TRIGGER``, ``SET session_replication_role = replica``); docs/audit-trail.md says what then
catches it.
"""

import django.utils.timezone
from django.db import migrations, models

GUARDS_SQL = """
CREATE OR REPLACE FUNCTION portal_audit_event_check_append() RETURNS trigger AS $$
DECLARE
    head_seq bigint;
    head_mac bytea;
BEGIN
    SELECT last_seq, last_mac INTO head_seq, head_mac
        FROM portal_auditchainhead WHERE id = 1;
    IF NOT FOUND OR NEW.seq IS DISTINCT FROM head_seq
            OR NEW.prev_mac IS DISTINCT FROM head_mac THEN
        RAISE EXCEPTION 'audit events are appended only at the chain head: event % refused',
            NEW.seq USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_audit_event_at_head
    BEFORE INSERT ON portal_auditevent
    FOR EACH ROW EXECUTE FUNCTION portal_audit_event_check_append();
CREATE TRIGGER portal_audit_event_no_truncate
    BEFORE TRUNCATE ON portal_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION portal_audit_event_refuse_change();
"""
DROP_GUARDS_SQL = """
DROP TRIGGER IF EXISTS portal_audit_event_no_truncate ON portal_auditevent;
DROP TRIGGER IF EXISTS portal_audit_event_at_head ON portal_auditevent;
DROP FUNCTION IF EXISTS portal_audit_event_check_append();
"""


def add_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARDS_SQL, params=None)


def remove_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_GUARDS_SQL, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0009_safety_alert_draft_hours'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('raised_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('kind', models.CharField(choices=[('events_past_head', 'Events past the chain head'), ('head_rebuilt', 'Chain head rebuilt')], max_length=32)),
                ('first_seq', models.BigIntegerField()),
                ('last_seq', models.BigIntegerField()),
                ('rows', models.PositiveIntegerField(default=0)),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ('raised_at', 'id'),
            },
        ),
        migrations.RunPython(add_guards, remove_guards),
    ]
