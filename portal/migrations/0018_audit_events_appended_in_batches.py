"""The PostgreSQL append guard learns batches (``portal.audit.service.record_events``).

Until now an event was accepted only at the chain head: its ``seq`` the head's
``last_seq`` and its ``prev_mac`` the head's ``last_mac`` (``0010``). A batch moves the head
past all its events at once and inserts them in order in one statement, so each row is
now also accepted when it is the next event after the last stored one, at or below the
head, and chained to that last event's MAC. A row slipped in from outside still cannot
take a number: every committed event is at or below the committed head and the next free
number is past it, so the new condition only holds inside the transaction that moved the
head (whose row lock it holds until commit).
"""

from django.db import migrations

BATCH_GUARD_SQL = """
CREATE OR REPLACE FUNCTION portal_audit_event_check_append() RETURNS trigger AS $$
DECLARE
    head_seq bigint;
    head_mac bytea;
    last_stored bigint;
    stored_mac bytea;
BEGIN
    SELECT last_seq, last_mac INTO head_seq, head_mac
        FROM portal_auditchainhead WHERE id = 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit events are appended only at the chain head: event % refused',
            NEW.seq USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.seq = head_seq AND NEW.prev_mac IS NOT DISTINCT FROM head_mac THEN
        RETURN NEW;
    END IF;
    SELECT seq, mac INTO last_stored, stored_mac
        FROM portal_auditevent ORDER BY seq DESC LIMIT 1;
    IF FOUND AND NEW.seq = last_stored + 1 AND NEW.seq <= head_seq
            AND NEW.prev_mac IS NOT DISTINCT FROM stored_mac THEN
        RETURN NEW;
    END IF;
    IF NOT FOUND AND NEW.seq = 1 AND NEW.seq <= head_seq
            AND NEW.prev_mac IS NOT DISTINCT FROM head_mac THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are appended only at the chain head: event % refused',
        NEW.seq USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

SINGLE_GUARD_SQL = """
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
"""


def batch_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BATCH_GUARD_SQL, params=None)


def single_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SINGLE_GUARD_SQL, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0017_measures_settings"),
    ]

    operations = [migrations.RunPython(batch_guard, single_guard)]
