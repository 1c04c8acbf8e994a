"""The safety alert is a row of its own: raised once by a safety answer and kept, closed by
the first staff member who acknowledges it (who and when), refused by the database when its
facts disagree, listed for the caseloads that may open it; strangers get a 404 closing it.
And the migration that built these rows from the intake's old columns, both ways."""

from __future__ import annotations

import datetime
import uuid
from http import HTTPStatus
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from clients.services import client_erase
from intake.models import Intake, SafetyAlert, SafetyAlertAcknowledgement
from intake.notifications import send_due_draft_alerts
from intake.safety_alerts import close_alert, raise_alert, raise_check_in_alert
from intake.selectors import open_alerts_of_caseload
from intake.services import intake_submit
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.models import CareAssignment, User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import closing_acknowledgement, signed_in
from tests.intake_data import filled_draft, save_page, submitted_intake
from tests.migrating import historical_model, migrate, schema_at

pytestmark = pytest.mark.django_db

FIRST_NOTE = "Called the client, safety plan agreed"
LATER_NOTE = "I called too; session booked for Friday"


def _ack_url(intake: Intake) -> str:
    return reverse("staff_intake_acknowledge", args=[intake.pk])


# Raising --------------------------------------------------------------------------------------


def test_a_safety_answer_raises_one_alert_that_keeps_its_first_time(caseload: User) -> None:
    before = timezone.now()
    intake = filled_draft(caseload, item_9=2)
    alert = SafetyAlert.objects.get(intake=intake)
    assert before <= alert.raised_at <= timezone.now()
    assert (alert.is_open, alert.emailed_at, alert.trigger) == (True, None, "")

    # Answering calmer later, and raising again, keep the one alert and its first time.
    intake = save_page(intake, "safety", {"thoughts_of_ending_life_now": "no"}, caseload)
    assert raise_alert(intake=intake).pk == alert.pk
    assert list(SafetyAlert.objects.values_list("pk", "raised_at")) == [
        (alert.pk, alert.raised_at)]


def test_an_intake_without_a_safety_answer_raises_none(caseload: User) -> None:
    intake = submitted_intake(caseload)
    assert not Intake.objects.get(pk=intake.pk).needs_prompt_review
    assert not SafetyAlert.objects.exists()


# Closing --------------------------------------------------------------------------------------


def test_closing_records_who_closed_it_and_when_and_a_later_note_keeps_that(
    caseload: User, clinician_user: User, admin_user: User
) -> None:
    alert = submitted_intake(caseload, item_9=2).safety_alert
    before = timezone.now()

    first = close_alert(alert=alert, by=clinician_user, note=FIRST_NOTE)

    closed = SafetyAlert.objects.get(pk=alert.pk)
    assert first.first and closed.closed_by_id == clinician_user.pk
    assert closed.closed_at is not None and first.acknowledgement is not None
    assert before <= closed.closed_at <= timezone.now()
    assert closed.closing_acknowledgement == first.acknowledgement
    assert (first.acknowledgement.at, first.acknowledgement.note) == (closed.closed_at,
                                                                       FIRST_NOTE)

    later = close_alert(alert=alert, by=admin_user, note=LATER_NOTE)

    assert not later.first
    kept = SafetyAlert.objects.get(pk=alert.pk)
    assert (kept.closed_by_id, kept.closed_at) == (clinician_user.pk, closed.closed_at)
    assert [(row.by_id, row.note) for row in kept.acknowledgements.order_by("at", "id")] == [
        (clinician_user.pk, FIRST_NOTE), (admin_user.pk, LATER_NOTE)]
    events = AuditEvent.objects.filter(action=Action.INTAKE_REVIEW_ACKNOWLEDGED).order_by("seq")
    assert [(e.actor_id, e.object_id, e.detail) for e in events] == [
        (clinician_user.pk, str(alert.intake_id), {}), (admin_user.pk, str(alert.intake_id), {})]


def test_a_stranger_gets_404_closing_an_alert_and_it_stays_open(
    caseload: User, clinician_user: User, stranger: User
) -> None:
    intake = submitted_intake(caseload, item_9=2)

    response = signed_in(stranger).post(_ack_url(intake), {"note": "I was never on the team"})

    assert response.status_code == HTTPStatus.NOT_FOUND
    alert = SafetyAlert.objects.get(intake=intake)
    assert (alert.closed_at, alert.closed_by_id) == (None, None)
    assert not alert.acknowledgements.exists()
    assert not AuditEvent.objects.filter(actor_id=stranger.pk,
                                         action__startswith="intake.").exists()
    assert alert in open_alerts_of_caseload(clinician_user)

    response = signed_in(clinician_user).post(_ack_url(intake), {"note": FIRST_NOTE})

    assert response.status_code == HTTPStatus.FOUND
    assert SafetyAlert.objects.get(pk=alert.pk).closed_by_id == clinician_user.pk
    assert alert not in open_alerts_of_caseload(clinician_user)


# What the database refuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"emailed_at": datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)},  # emailed, no why
        {"trigger": SafetyAlert.Trigger.SUBMITTED},  # a why, never emailed
        {"emailed_at": datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC),
         "trigger": "because"},
    ],
    ids=["emailed-without-trigger", "trigger-without-email", "unknown-trigger"],
)
def test_the_database_refuses_an_email_without_its_trigger(
    caseload: User, change: dict[str, Any]
) -> None:
    intake = filled_draft(caseload, item_9=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        SafetyAlert.objects.filter(intake=intake).update(**change)


def test_the_database_refuses_a_closer_without_a_closing_time_and_a_second_alert(
    caseload: User, clinician_user: User
) -> None:
    intake = filled_draft(caseload, item_9=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        SafetyAlert.objects.filter(intake=intake).update(closed_by=clinician_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        SafetyAlert.objects.create(intake=intake, client=caseload)


# Selectors ------------------------------------------------------------------------------------


def test_open_alerts_of_a_caseload_are_the_open_ones_its_member_may_open(
    caseload: User, other_client_user: User, clinician_user: User, admin_user: User
) -> None:
    mine = filled_draft(caseload, item_9=2).safety_alert
    theirs = filled_draft(other_client_user, item_9=2).safety_alert
    assert list(open_alerts_of_caseload(clinician_user)) == [mine]
    assert set(open_alerts_of_caseload(admin_user)) == {mine, theirs}
    close_alert(alert=theirs, by=admin_user, note=FIRST_NOTE)
    assert list(open_alerts_of_caseload(admin_user)) == [mine]


# The migration from the intake's columns -----------------------------------------------------

BEFORE = "0006_prompt_review_alerted_at"
COLUMNS = ("needs_prompt_review", "prompt_review_raised_at", "prompt_review_alerted_at",
           "prompt_review_acknowledged_at", "prompt_review_acknowledged_by_id")


def _old_columns(apps: Apps) -> dict[Any, dict[str, Any]]:
    """Each intake's alert columns as they stand, plaintext ones only (nothing decrypted)."""
    Old = historical_model(apps, "intake", "Intake")
    return {row["id"]: {name: row[name] for name in COLUMNS}
            for row in Old.objects.values("id", *COLUMNS)}


def _old_note(apps: Apps, intake: Intake) -> str | None:
    """The intake's ``prompt_review_note``, decrypted by the historical field."""
    Old = historical_model(apps, "intake", "Intake")
    return Old.objects.only("id", "prompt_review_note").get(pk=intake.pk).prompt_review_note


def _client(email: str, clinician: User) -> User:
    client = UserFactory(role=Role.CLIENT, email=email)
    CareAssignment.objects.create(client=client, clinician=clinician)
    return client


def _raised_hours_ago(intake: Intake, hours: int) -> None:
    SafetyAlert.objects.filter(intake=intake).update(
        raised_at=timezone.now() - datetime.timedelta(hours=hours))


# Migrating back and forth commits for real; serialized rollback restores the role groups
# that migrations created, for the tests that follow.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_turns_the_intake_columns_into_alerts_and_back(
    clinician_user: User, admin_user: User
) -> None:
    """Intakes written by today's services, taken back to the intake's columns (the reverse
    step), shaped there as older intakes could be, then migrated forward: each flagged
    intake has its alert with the same facts, why it was emailed told from the times, its
    acknowledgements linked, and a closing acknowledgement made from the columns where none
    was kept. Back again, the columns hold what they held."""
    # Sent flagged: emailed on sending, closed by Dr. Lee, a second note by the admin.
    sent = submitted_intake(_client("sent@example.com", clinician_user), item_9=2)
    close_alert(alert=sent.safety_alert, by=clinician_user, note=FIRST_NOTE)
    close_alert(alert=sent.safety_alert, by=admin_user, note=LATER_NOTE)
    # A flagged draft left unsent past the practice's hours: emailed, still open.
    waiting = filled_draft(_client("waiting@example.com", clinician_user), item_9=2)
    _raised_hours_ago(waiting, 30)
    # The same, then sent after the email, then closed.
    late = filled_draft(_client("late@example.com", clinician_user), item_9=2)
    _raised_hours_ago(late, 30)
    assert send_due_draft_alerts() == 2
    late = intake_submit(intake_id=late.pk, client=late.client, revision=late.revision)
    close_alert(alert=late.safety_alert, by=clinician_user, note=FIRST_NOTE)
    # Flagged before the time raised was recorded (its column is emptied below).
    oldest = submitted_intake(_client("oldest@example.com", clinician_user), item_9=1)
    # Acknowledged before every acknowledgement had its row (the rows go below); one of
    # them of a client erased since.
    unkept = submitted_intake(_client("unkept@example.com", clinician_user), item_9=2)
    close_alert(alert=unkept.safety_alert, by=clinician_user, note="Noted in the old column")
    erased = submitted_intake(_client("erased@example.com", clinician_user), item_9=2)
    close_alert(alert=erased.safety_alert, by=clinician_user, note="Their note")
    calm = submitted_intake(_client("calm@example.com", clinician_user))

    with schema_at("intake", BEFORE) as old:
        Old = historical_model(old, "intake", "Intake")
        Old.objects.filter(pk=oldest.pk).update(prompt_review_raised_at=None)
        historical_model(old, "intake", "SafetyAlertAcknowledgement").objects.filter(
            intake_id__in=[unkept.pk, erased.pk]).delete()
        client_erase(user=erased.client, actor=admin_user)
        before = _old_columns(old)
        assert _old_note(old, sent) == FIRST_NOTE  # the reverse step sealed it for the intake
        assert _old_note(old, unkept) == "Noted in the old column"
        assert before[calm.pk]["needs_prompt_review"] is False

        forward = migrate("intake", "0009_remove_intake_alert_columns")
        assert historical_model(forward, "intake", "SafetyAlert").objects.count() == 6
        # Today's model, without the columns a later migration (0013) adds.
        alerts = {alert.intake_id: alert for alert in
                  SafetyAlert.objects.select_related("closed_by").defer(
                      "client", "case", "source", "check_in_id")}
        assert set(alerts) == {sent.pk, waiting.pk, late.pk, oldest.pk, unkept.pk, erased.pk}
        for intake_id, alert in alerts.items():
            was = before[intake_id]
            assert (alert.raised_at if intake_id != oldest.pk else None,
                    alert.emailed_at, alert.closed_at, alert.closed_by_id) == (
                was["prompt_review_raised_at"], was["prompt_review_alerted_at"],
                was["prompt_review_acknowledged_at"], was["prompt_review_acknowledged_by_id"])
        assert {intake_id: alert.trigger for intake_id, alert in alerts.items()} == {
            sent.pk: "submitted", waiting.pk: "draft_unsent", late.pk: "draft_unsent",
            oldest.pk: "submitted", unkept.pk: "submitted", erased.pk: "submitted"}
        # One column only: at this migration the intake has no case column yet.
        assert alerts[oldest.pk].raised_at == Intake.objects.values_list(
            "submitted_at", flat=True).get(pk=oldest.pk)
        assert [(row.by_id, row.note) for row in
                alerts[sent.pk].acknowledgements.order_by("at", "id")] == [
            (clinician_user.pk, FIRST_NOTE), (admin_user.pk, LATER_NOTE)]
        made = closing_acknowledgement(alerts[unkept.pk])
        assert (made.by_id, made.at, made.client_id, made.note) == (
            clinician_user.pk, alerts[unkept.pk].closed_at, unkept.client_id,
            "Noted in the old column")
        assert closing_acknowledgement(alerts[erased.pk]).note is None  # no key left to read it
        assert SafetyAlertAcknowledgement.objects.count() == 5

        back = migrate("intake", BEFORE)
        after = _old_columns(back)
        before[oldest.pk]["prompt_review_raised_at"] = alerts[oldest.pk].raised_at
        assert after == before
        assert _old_note(back, sent) == FIRST_NOTE
        assert _old_note(back, unkept) == "Noted in the old column"
        assert _old_note(back, erased) is None
        assert historical_model(back, "intake", "SafetyAlertAcknowledgement").objects.filter(
            intake_id=sent.pk).count() == 2

    # Forward once more (leaving the block): the same alerts, nothing doubled.
    assert SafetyAlert.objects.count() == 6
    assert SafetyAlertAcknowledgement.objects.count() == 5
    assert Intake.objects.get(pk=late.pk).safety_alert.trigger == "draft_unsent"
    # 0013 gave each alert its intake's record.
    for alert in SafetyAlert.objects.select_related("intake"):
        assert alert.intake is not None
        assert (alert.client_id, alert.case_id, alert.source) == (
            alert.intake.client_id, alert.intake.case_id, "intake")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_going_back_before_check_in_alerts_keeps_the_intakes_and_drops_the_check_ins(
    caseload: User, clinician_user: User
) -> None:
    """0013 backwards: an intake's alert loses nothing the older schema can hold; a
    check-in's alert (which it cannot hold) goes, with its acknowledgement. Forward again,
    the intake's alert has its client back."""
    intake = submitted_intake(caseload, item_9=2)
    check_in_alert = raise_check_in_alert(client=caseload, case=None, check_in_id=uuid.uuid4())
    close_alert(alert=check_in_alert, by=clinician_user, note=FIRST_NOTE)
    with schema_at("intake", "0012_instrument_versions") as old:
        Old = historical_model(old, "intake", "SafetyAlert")
        assert list(Old.objects.values_list("intake_id", flat=True)) == [intake.pk]
        assert historical_model(old, "intake", "SafetyAlertAcknowledgement").objects.count() == 0
    alert = SafetyAlert.objects.get()
    assert (alert.intake_id, alert.client_id, alert.source) == (intake.pk, caseload.pk, "intake")
