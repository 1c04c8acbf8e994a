"""Recording one event per client in a fixed number of queries (a caseload opened): each
client has their own event, the chain verifies as if they were recorded one by one, and
the database's append guard accepts the batch while still refusing strangers' rows."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from portal.audit.actions import Action
from portal.audit.models import AuditAlert, AuditChainHead, AuditEvent
from portal.audit.service import record_event, record_events
from portal.audit.verify import verify_chain
from portal.models import User
from tests.factories import record_audit_events
from tests.hostile import as_database_administrator

pytestmark = pytest.mark.django_db


def _batch(clinician: User, count: int) -> list[uuid.UUID]:
    subjects = [uuid.uuid4() for _ in range(count)]
    record_events(Action.INTAKE_VIEWED, actor=clinician, subjects=subjects)
    return subjects


def test_each_subject_gets_its_own_event_and_the_chain_verifies(clinician_user: User) -> None:
    record_audit_events(2)
    subjects = _batch(clinician_user, 5)
    record_event(Action.INTAKE_VIEWED, actor=clinician_user, subject=subjects[0])

    events = list(AuditEvent.objects.filter(action="intake.viewed").order_by("seq"))
    assert [e.subject_id for e in events] == [*subjects, subjects[0]]
    assert {e.actor_id for e in events} == {clinician_user.pk}
    assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + 6))
    assert AuditChainHead.objects.get().last_seq == events[-1].seq
    assert verify_chain().intact


def test_a_batch_takes_the_same_queries_whatever_its_size(clinician_user: User) -> None:
    _batch(clinician_user, 1)  # the actor's roles are looked up once, then remembered
    counted = []
    for count in (10, 200):
        with CaptureQueriesContext(connection) as queries:
            _batch(clinician_user, count)
        counted.append(len(queries))

    assert counted[0] == counted[1] <= 7  # the head moved, read, one insert, the last MAC
    assert AuditEvent.objects.filter(action="intake.viewed").count() == 211
    assert verify_chain().intact


def test_a_batch_into_an_empty_trail_starts_the_chain(clinician_user: User) -> None:
    _batch(clinician_user, 3)

    assert verify_chain().intact
    assert AuditChainHead.objects.get().last_seq == 3


def test_a_stray_event_past_the_head_is_routed_round_and_reported(
        clinician_user: User) -> None:
    record_audit_events(3)
    head = AuditChainHead.objects.get().last_seq
    with as_database_administrator() as cursor:
        cursor.execute(
            "INSERT INTO portal_auditevent (seq, occurred_at, actor_id, actor_role, action, "
            "subject_id, object_type, object_id, request_id, ip_address, user_agent, "
            "detail_json, prev_mac, mac) SELECT %s, occurred_at, actor_id, actor_role, "
            "action, subject_id, object_type, object_id, request_id, ip_address, "
            "user_agent, detail_json, mac, mac FROM portal_auditevent WHERE seq = %s",
            [head + 2, head])

    subjects = _batch(clinician_user, 4)

    recorded = AuditEvent.objects.filter(action="intake.viewed").order_by("seq")
    assert [e.subject_id for e in recorded] == subjects
    assert recorded[0].seq == head + 3  # after the stray, not on top of it
    assert AuditAlert.objects.filter(kind=AuditAlert.Kind.EVENTS_PAST_HEAD).exists()


def test_nothing_is_recorded_for_no_subjects(clinician_user: User) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert record_events(Action.INTAKE_VIEWED, actor=clinician_user, subjects=[]) == 0
    assert len(queries) == 0


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL only (triggers)")
def test_postgresql_still_refuses_a_row_past_the_head_after_batches(
        clinician_user: User) -> None:
    _batch(clinician_user, 3)
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None
    with (
        pytest.raises(DatabaseError, match="appended only at the chain head"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The next number, chained to the last event: refused, the head was not moved.
        cursor.execute(
            "INSERT INTO portal_auditevent (seq, occurred_at, actor_id, actor_role, action, "
            "subject_id, object_type, object_id, request_id, ip_address, user_agent, "
            "detail_json, prev_mac, mac) SELECT seq + 1, occurred_at, actor_id, actor_role, "
            "action, subject_id, object_type, object_id, request_id, ip_address, "
            "user_agent, detail_json, mac, mac FROM portal_auditevent WHERE seq = %s",
            [last.seq])
    assert verify_chain().intact
