"""The audit chain: intact after normal use, broken at the right event by every kind of
tampering, one unbroken chain under concurrent writers, append-only in the database."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from portal.audit.actions import Action
from portal.audit.chain import audit_key, canonical_content, event_mac
from portal.audit.context import RequestOrigin, request_origin
from portal.audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from portal.audit.service import record_event
from portal.audit.verify import event_rows, verify_chain
from portal.roles import Role
from tests.factories import UserFactory, record_audit_events
from tests.hostile import as_database_administrator

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL only (trigger, row locks)"
)


def _broken_at() -> int | None:
    return verify_chain().broken_at


def test_chain_verifies_after_normal_use() -> None:
    record_audit_events(12)
    report = verify_chain()
    assert report.intact
    assert (report.events, report.last_seq) == (12, 12)
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 13))


def test_verify_command_passes_and_prints_an_anchor(capsys: pytest.CaptureFixture[str]) -> None:
    record_audit_events(3)
    call_command("verify_audit_log", "--anchor")
    out = capsys.readouterr().out
    assert "Audit log intact: 3 events" in out
    last = AuditEvent.objects.get(seq=3)
    assert f"Anchor: 3:{bytes(last.mac).hex()}" in out


def test_editing_an_events_detail_is_detected_at_that_event() -> None:
    record_audit_events(6)
    with as_database_administrator() as cursor:
        cursor.execute("UPDATE portal_auditevent SET detail_json = %s WHERE seq = 4",
                       ['{"master_key_id":"k1","rewrapped":0}'])
    with pytest.raises(CommandError, match=r"broken at event #4: event #4 was altered"):
        call_command("verify_audit_log")


def test_editing_an_events_time_is_detected_at_that_event() -> None:
    record_audit_events(6)
    with as_database_administrator() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("UPDATE portal_auditevent "
                           "SET occurred_at = occurred_at - interval '1 hour' WHERE seq = 2")
        else:
            cursor.execute("UPDATE portal_auditevent "
                           "SET occurred_at = '2020-01-01 00:00:00.000000' WHERE seq = 2")
    assert _broken_at() == 2


def test_deleting_a_middle_event_is_detected_where_it_was() -> None:
    record_audit_events(6)
    with as_database_administrator() as cursor:
        cursor.execute("DELETE FROM portal_auditevent WHERE seq = 3")
    report = verify_chain()
    assert report.broken_at == 3
    assert "event #3 is missing" in report.reason


def test_swapping_two_events_is_detected_at_the_first_of_them() -> None:
    record_audit_events(6)
    with as_database_administrator() as cursor:
        # Re-order history: events 2 and 5 trade places (their numbers are exchanged).
        cursor.execute("UPDATE portal_auditevent SET seq = -2 WHERE seq = 2")
        cursor.execute("UPDATE portal_auditevent SET seq = 2 WHERE seq = 5")
        cursor.execute("UPDATE portal_auditevent SET seq = 5 WHERE seq = -2")
    assert _broken_at() == 2


def test_an_event_forged_without_the_key_is_detected() -> None:
    record_audit_events(4)
    head = AuditEvent.objects.get(seq=4)
    wrong_key = b"\x01" * 32
    texts = (5, "2026-11-25 10:00:00.000000", None, "system", "keys.rotated", None, "", "",
             "", "", "", "{}")
    forged_mac = event_mac(wrong_key, bytes(head.mac), canonical_content(texts))
    with as_database_administrator() as cursor:
        cursor.execute(
            "INSERT INTO portal_auditevent (seq, occurred_at, actor_role, action, object_type, "
            "object_id, request_id, ip_address, user_agent, detail_json, prev_mac, mac) "
            "VALUES (5, %s, 'system', 'keys.rotated', '', '', '', '', '', '{}', %s, %s)",
            ["2026-11-25 10:00:00.000000" + ("+00" if connection.vendor == "postgresql" else ""),
             bytes(head.mac), forged_mac],
        )
        cursor.execute("UPDATE portal_auditchainhead SET last_seq = 5, last_mac = %s",
                       [forged_mac])
    report = verify_chain()
    assert report.broken_at == 5
    assert "altered or forged" in report.reason


def test_an_event_slipped_into_the_middle_is_detected_where_it_was_inserted() -> None:
    record_audit_events(4)
    with as_database_administrator() as cursor:
        for seq in (4, 3):  # make room after event 2, highest first
            cursor.execute("UPDATE portal_auditevent SET seq = seq + 1 WHERE seq = %s", [seq])
        cursor.execute(
            "INSERT INTO portal_auditevent (seq, occurred_at, actor_role, action, object_type, "
            "object_id, request_id, ip_address, user_agent, detail_json, prev_mac, mac) "
            "SELECT 3, occurred_at, actor_role, action, object_type, object_id, request_id, "
            "ip_address, user_agent, detail_json, mac, mac FROM portal_auditevent WHERE seq = 2"
        )
    assert _broken_at() == 3


def test_events_cut_from_the_end_are_detected_by_the_chain_head() -> None:
    record_audit_events(5)
    with as_database_administrator() as cursor:
        cursor.execute("DELETE FROM portal_auditevent WHERE seq >= 4")
    report = verify_chain()
    assert report.broken_at == 4
    assert "later events are missing" in report.reason


def test_a_kept_anchor_catches_a_truncation_that_rewound_the_head_too() -> None:
    record_audit_events(5)
    fifth = AuditEvent.objects.get(seq=5)
    anchor = f"5:{bytes(fifth.mac).hex()}"
    third = AuditEvent.objects.get(seq=3)
    with as_database_administrator() as cursor:
        cursor.execute("DELETE FROM portal_auditevent WHERE seq >= 4")
        cursor.execute("UPDATE portal_auditchainhead SET last_seq = 3, last_mac = %s",
                       [bytes(third.mac)])
    assert verify_chain().intact  # without the anchor the shorter chain looks whole
    with pytest.raises(CommandError, match=r"broken at event #5: anchored event #5 is missing"):
        call_command("verify_audit_log", "--expect", anchor)


def test_a_malformed_anchor_is_refused_plainly() -> None:
    with pytest.raises(CommandError, match="SEQ:MAC"):
        call_command("verify_audit_log", "--expect", "five:zz")


def test_the_application_never_changes_or_deletes_events() -> None:
    record_audit_events(2)
    event = AuditEvent.objects.get(seq=1)
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=1).update(action="auth.logout")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert verify_chain().intact


@on_postgresql
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE portal_auditevent SET action = 'auth.logout' WHERE seq = 1",
        "DELETE FROM portal_auditevent",
    ],
)
def test_postgresql_trigger_refuses_update_and_delete(statement: str) -> None:
    record_audit_events(2)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.count() == 2
    assert verify_chain().intact


def test_a_rolled_back_action_leaves_no_event_and_no_gap() -> None:
    record_audit_events(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(Action.KEYS_REENCRYPTED, actor=None, detail={"owners": 1, "rows": 9})
        raise RuntimeError("the action failed after recording")
    assert not AuditEvent.objects.filter(action=Action.KEYS_REENCRYPTED).exists()
    record_audit_events(1)
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2, 3]
    assert verify_chain().intact


def test_a_lost_chain_head_is_rebuilt_from_the_last_event() -> None:
    record_audit_events(3)
    AuditChainHead.objects.all().delete()  # e.g. a restore that missed the one-row table
    record_audit_events(1)
    assert AuditEvent.objects.latest("seq").seq == 4
    assert verify_chain().intact


def test_staff_and_security_events_keep_their_origin_client_events_do_not() -> None:
    client = UserFactory(role=Role.CLIENT)
    clinician = UserFactory(role=Role.CLINICIAN)
    origin = RequestOrigin("a" * 32, "2001:db8::7", "Mozilla/5.0 \x00(test)")
    with request_origin(origin):
        staff = record_event(Action.CLIENT_PROFILE_VIEWED, actor=clinician, subject=client)
        own = record_event(Action.CONSENT_SIGNED, actor=client, subject=client,
                           detail={"version": "3"})
        failed = record_event(Action.AUTH_LOGIN_FAILED, actor=AnonymousUser(),
                              detail={"account_exists": False})
    assert (staff.ip_address, staff.user_agent) == ("2001:db8::7", "Mozilla/5.0 (test)")
    assert staff.actor_role == "clinician"
    assert (own.ip_address, own.user_agent) == ("", "")
    assert failed.ip_address == "2001:db8::7"
    assert (failed.actor_id, failed.actor_role) == (None, "anonymous")
    assert {staff.request_id, own.request_id, failed.request_id} == {"a" * 32}
    assert verify_chain().intact  # IPv6 text, control characters removed: same on both DBs


def test_the_walk_reads_back_exactly_what_was_maced() -> None:
    client = UserFactory(role=Role.CLIENT)
    record_event(Action.INTAKE_EXPORTED, actor=client, subject=client,
                 target=("intake.submission", uuid.uuid4()), detail={"format": "pdf"})
    (row,) = list(event_rows(10, None))
    event = AuditEvent.objects.get()
    assert event_mac(audit_key(), bytes(event.prev_mac), canonical_content(row[:-2])) == bytes(
        event.mac
    )
    assert row[5] == client.pk.hex
    assert event.detail == {"format": "pdf"}


def test_every_response_carries_a_fresh_request_id(client: Client) -> None:
    first = client.get("/healthz")
    second = client.get("/healthz")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_appends_keep_one_unbroken_chain() -> None:
    writers, per_writer = 8, 25
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            start.wait()
            for index in range(per_writer):
                with transaction.atomic():
                    record_event(Action.KEYS_REENCRYPTED, actor=None,
                                 detail={"owners": number, "rows": index})
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    total = writers * per_writer
    seqs = list(AuditEvent.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    predecessors = [bytes(mac) for mac in AuditEvent.objects.values_list("prev_mac", flat=True)]
    assert len(set(predecessors)) == total
    report = verify_chain()
    assert report.intact and report.events == total
