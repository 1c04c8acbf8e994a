"""Tampering that the chain walk alone did not catch (issue 14, point 10): an event slipped in
past the chain head, events below number 1, an emptied chain head, and on PostgreSQL the
database refusing such inserts and TRUNCATE. Recording must survive a stray event (people
keep signing in) and tell practice admins about it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from portal.audit import verify
from portal.audit.actions import Action
from portal.audit.models import AuditAlert, AuditChainHead, AuditEvent
from portal.audit.service import record_event
from portal.audit.verify import verify_chain
from portal.models import User
from tests.factories import record_audit_events
from tests.helpers import sign_in
from tests.hostile import as_database_administrator

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL only (triggers)"
)
BANNER = "The audit trail needs a check"
COPY_EVENT_SQL = (
    # Event ``seq`` as a copy of event ``source``, chained to it: what someone without the
    # audit key can do at best. The head is left as it is.
    "INSERT INTO portal_auditevent (seq, occurred_at, actor_id, actor_role, action, "
    "subject_id, object_type, object_id, request_id, ip_address, user_agent, detail_json, "
    "prev_mac, mac) "
    "SELECT %s, occurred_at, actor_id, actor_role, action, subject_id, object_type, "
    "object_id, request_id, ip_address, user_agent, detail_json, mac, mac "
    "FROM portal_auditevent WHERE seq = %s"
)


def _slip_in_event(seq: int, *, copy_of: int) -> None:
    with as_database_administrator() as cursor:
        cursor.execute(COPY_EVENT_SQL, [seq, copy_of])


def _head_seq() -> int:
    return AuditChainHead.objects.get().last_seq


def _verify_command(*args: str) -> str:
    """``verify_audit_log``'s verdict line (raises CommandError when broken)."""
    call_command("verify_audit_log", *args)
    return "intact"


# Events the walk never reached -----------------------------------------------------------


def test_an_event_inserted_past_the_head_is_reported() -> None:
    record_audit_events(4)
    _slip_in_event(5, copy_of=4)
    report = verify_chain()
    assert report.broken_at == 5
    assert "event #5 is past the chain head" in report.reason
    assert report.last_seq == 4  # everything before it still verified
    with pytest.raises(CommandError, match=r"broken at event #5: event #5 is past the chain"):
        _verify_command()


@pytest.mark.parametrize("seq", [0, -7])
def test_an_event_numbered_below_one_is_reported(seq: int) -> None:
    record_audit_events(3)
    _slip_in_event(seq, copy_of=1)
    report = verify_chain()
    assert report.broken_at == seq
    assert "numbered below 1" in report.reason


def test_events_appended_while_the_walk_runs_are_not_taken_for_strays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Guards the new check against false alarms on a live portal: the portal's own events
    # past the head read at the start are left for the next walk.
    record_audit_events(3)
    walk = verify.event_rows

    def walk_while_someone_signs_in(page_size: int, up_to: int | None) -> Iterator[Any]:
        for number, row in enumerate(walk(page_size, up_to)):
            if number == 1:
                record_audit_events(2)
            yield row

    monkeypatch.setattr(verify, "event_rows", walk_while_someone_signs_in)
    report = verify_chain()
    assert report.intact and report.last_seq == 3
    assert AuditEvent.objects.count() == 5


# Recording carries on, and admins are told ----------------------------------------------


@pytest.mark.parametrize("past_the_head", [1, 40])
def test_people_still_sign_in_after_an_event_is_slipped_past_the_head(
    client: Client, client_user: User, past_the_head: int
) -> None:
    record_audit_events(3)
    stray = _head_seq() + past_the_head
    _slip_in_event(stray, copy_of=3)

    sign_in(client, client_user)  # used to fail: the sign-in's event took the stray's number

    login = AuditEvent.objects.get(action=Action.AUTH_LOGIN)
    assert login.seq == stray + 1
    assert bytes(login.prev_mac) == bytes(AuditEvent.objects.get(seq=3).mac)
    assert _head_seq() == stray + 1
    (alert,) = AuditAlert.objects.all()
    assert (alert.kind, alert.first_seq, alert.last_seq, alert.rows) == (
        AuditAlert.Kind.EVENTS_PAST_HEAD, stray, stray, 1)
    # The intruder stays on record: verification still stops at it (or the gap before it).
    assert verify_chain().broken_at == 4
    record_event(Action.AUTH_LOGOUT, actor=client_user)
    assert _head_seq() == stray + 2
    assert AuditAlert.objects.count() == 1  # one intrusion, one alert


def test_people_still_sign_in_after_an_event_is_slipped_in_at_the_largest_number(
    client: Client, client_user: User
) -> None:
    # No number follows 2**63 - 1: recording used to overflow there, stopping every sign-in.
    largest = 2**63 - 1
    record_audit_events(3)
    _slip_in_event(4, copy_of=3)
    _slip_in_event(largest, copy_of=3)

    sign_in(client, client_user)
    record_audit_events(2)

    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 6, 7,
                                                                       largest]
    assert AuditEvent.objects.get(seq=5).action == Action.AUTH_LOGIN
    assert verify_chain().broken_at == 4
    # Once for both strays, once more when only the one at the largest number is left past
    # the head: not once per action.
    assert list(AuditAlert.objects.values_list("first_seq", "last_seq", "rows")) == [
        (4, largest, 2), (largest, largest, 1)]


def test_admins_see_the_alert_on_their_home_and_the_audit_trail_others_do_not(
    client: Client, admin_user: User, clinician_user: User, client_user: User
) -> None:
    record_audit_events(2)
    _slip_in_event(3, copy_of=2)
    record_audit_events(1)  # the next action finds the stray and raises the alert

    sign_in(client, admin_user)
    for page in ("staff_home", "audit_log"):
        html = client.get(reverse(page)).content.decode()
        assert BANNER in html, page
        assert "an event (#3) in the audit trail that it did not write" in html
    for person, pages in ((clinician_user, ("staff_home", "audit_log")),
                          (client_user, ("client_home",))):
        other = Client()
        sign_in(other, person)
        for page in pages:
            assert BANNER not in other.get(reverse(page)).content.decode(), page


def test_acknowledging_the_alerts_clears_the_banner_and_is_recorded(
    as_admin: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    record_audit_events(2)
    stray = _head_seq() + 1
    _slip_in_event(stray, copy_of=stray - 1)
    record_audit_events(1)
    assert BANNER in as_admin.get(reverse("staff_home")).content.decode()

    # The chain stays broken (the runbook says not to repair it): the command still fails,
    # but the operator has looked, and says so.
    with pytest.raises(CommandError, match=f"broken at event #{stray}"):
        _verify_command("--acknowledge-alerts")
    err = capsys.readouterr().err
    assert f"1 event(s) found past the chain head, #{stray} to #{stray}" in err
    assert "Alerts acknowledged: 1." in err

    assert BANNER not in as_admin.get(reverse("staff_home")).content.decode()
    acknowledged = AuditEvent.objects.get(action=Action.AUDIT_ALERTS_ACKNOWLEDGED)
    assert (acknowledged.actor_role, acknowledged.detail) == ("system", {"alerts": 1})
    assert not AuditAlert.objects.filter(acknowledged_at__isnull=True).exists()


# The chain head -----------------------------------------------------------------------------


def test_an_empty_chain_head_table_while_events_exist_is_reported() -> None:
    record_audit_events(3)
    with as_database_administrator() as cursor:
        cursor.execute("DELETE FROM portal_auditchainhead")
    report = verify_chain()
    assert report.broken_at == 4
    assert "the chain head is missing" in report.reason
    with pytest.raises(CommandError, match=r"broken at event #4: the chain head is missing"):
        _verify_command()


def test_a_head_rebuilt_while_events_exist_raises_an_alert(as_admin: Client) -> None:
    record_audit_events(3)
    last = _head_seq()
    with as_database_administrator() as cursor:
        # Cut the last event and the head that would have shown it.
        cursor.execute("DELETE FROM portal_auditevent WHERE seq = %s", [last])
        cursor.execute("DELETE FROM portal_auditchainhead")
    record_audit_events(1)
    # The chain is consistent again, so the walk cannot tell; the alert says it happened.
    assert verify_chain().intact
    (alert,) = AuditAlert.objects.all()
    assert (alert.kind, alert.first_seq) == (AuditAlert.Kind.HEAD_REBUILT, last - 1)
    html = as_admin.get(reverse("staff_home")).content.decode()
    assert BANNER in html
    assert f"the portal rebuilt it from event #{last - 1}" in html
    # A scheduled check that watches the exit status fails until someone has looked.
    with pytest.raises(CommandError, match=r"1 audit alert\(s\) open"):
        _verify_command()
    _verify_command("--acknowledge-alerts")
    assert _verify_command() == "intact"


# PostgreSQL: the database refuses them ------------------------------------------------------


def _head_mac() -> bytes:
    return bytes(AuditChainHead.objects.get().last_mac)


def _as_superuser_without_triggers(statement: str) -> None:
    """What a superuser can still do: no trigger fires under session_replication_role."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(statement)


INSERTS: dict[str, Callable[[], tuple[str, list[Any]]]] = {
    "past the head": lambda: (COPY_EVENT_SQL, [_head_seq() + 1, _head_seq()]),
    "far past the head": lambda: (COPY_EVENT_SQL, [_head_seq() + 50, _head_seq()]),
    "below one": lambda: (COPY_EVENT_SQL, [0, _head_seq()]),
}


@on_postgresql
@pytest.mark.parametrize("insert", sorted(INSERTS))
def test_postgresql_refuses_an_event_anywhere_but_the_head(insert: str) -> None:
    record_audit_events(3)
    sql, params = INSERTS[insert]()
    with (
        pytest.raises(DatabaseError, match="appended only at the chain head"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    record_audit_events(1)
    assert verify_chain().intact


@on_postgresql
def test_postgresql_refuses_an_event_at_the_heads_number_chained_elsewhere() -> None:
    record_audit_events(3)
    with (
        pytest.raises(DatabaseError, match="appended only at the chain head"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # Moving the head first is not enough: the new event must follow the head's MAC.
        cursor.execute("UPDATE portal_auditchainhead SET last_seq = last_seq + 1")
        cursor.execute(COPY_EVENT_SQL.replace("mac, mac FROM", "%s, mac FROM"),
                       [_head_seq(), bytes(32), 3])
    assert verify_chain().intact


@on_postgresql
def test_postgresql_refuses_truncate_and_an_anchor_catches_a_superuser_who_gets_past_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    record_audit_events(3)
    _verify_command("--anchor")
    anchor = capsys.readouterr().out.split("Anchor: ")[1].strip()
    assert anchor == f"3:{_head_mac().hex()}"
    with (
        pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE portal_auditevent, portal_auditchainhead")
    assert AuditEvent.objects.count() == 3

    # A superuser switching triggers off empties both tables; the empty trail looks whole,
    # and only the anchor kept elsewhere shows what was lost.
    _as_superuser_without_triggers("TRUNCATE portal_auditevent, portal_auditchainhead")
    assert verify_chain().intact and verify_chain().events == 0
    with pytest.raises(CommandError, match=r"broken at event #3: anchored event #3 is missing"):
        _verify_command("--expect", anchor)
