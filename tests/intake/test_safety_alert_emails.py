"""A safety alert reaches the people who treat the client: the care team is emailed when a
flagged intake is sent, and when a flagged draft waits unsent past the practice's setting
(the admins, when no clinician is assigned). Every email is content-free and every send is
audited; the ordinary "new intake" email reaches the care team as well as the admins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from clients.services import client_assign
from intake.models import Intake, SafetyAlert
from intake.notifications import send_due_draft_alerts
from intake.safety_alerts import close_alert
from intake.services import intake_submit
from portal.audit.models import AuditEvent
from portal.models import ClientProfile, PracticeSettings, User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import delivered_mail, mail_body
from tests.intake_data import CANARY, filled_draft, submitted_intake

pytestmark = pytest.mark.django_db

ALERT_SUBJECT = "an intake needs prompt review"
NEW_INTAKE_SUBJECT = "a new intake is ready"


@pytest.fixture
def send_mail_now(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run the after-commit hooks (where mail leaves) inside the test's transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def colleague(db: None) -> User:
    """A clinician of the practice who is not on this client's care team."""
    return UserFactory(role=Role.CLINICIAN, email="colleague@example.com", totp=True)


def _inboxes(subject_part: str) -> list[str]:
    return sorted(address for message in delivered_mail() if subject_part in message.subject
                  for address in message.to)


def _alert_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="intake.safety_alert_sent").order_by("seq"))


def _flagged_draft(client: User, *, raised_hours_ago: float) -> Intake:
    intake = filled_draft(client, item_9=2)
    assert intake.needs_prompt_review
    SafetyAlert.objects.filter(intake=intake).update(
        raised_at=timezone.now() - timedelta(hours=raised_hours_ago))
    return Intake.objects.get(pk=intake.pk)


def test_a_flagged_intake_sent_emails_every_clinician_on_the_care_team(
    client_user: User, clinician_user: User, admin_user: User, colleague: User,
    send_mail_now: Callable[..., Any],
) -> None:
    second = UserFactory(role=Role.CLINICIAN, email="second@example.com", totp=True)
    client_assign(client=client_user, clinician=clinician_user, actor=admin_user)
    client_assign(client=client_user, clinician=second, actor=admin_user)
    with send_mail_now():
        intake = submitted_intake(client_user, item_9=2)
    assert _inboxes(ALERT_SUBJECT) == ["clinician@example.com", "second@example.com"]
    # The admins still hear that an intake is ready; nobody gets two emails for it.
    assert _inboxes(NEW_INTAKE_SUBJECT) == ["admin@example.com"]
    assert "colleague@example.com" not in _inboxes("")
    # One message per person (no clinician learns who else treats the client from "To").
    alerts = [message for message in delivered_mail() if ALERT_SUBJECT in message.subject]
    assert [len(alert.to) for alert in alerts] == [1, 1]
    assert all(reverse("staff_intake_detail", args=[intake.id]) in alert.body
               for alert in alerts)
    events = _alert_events()
    assert {event.detail["recipient"] for event in events} == {str(clinician_user.pk),
                                                               str(second.pk)}
    assert {event.detail["trigger"] for event in events} == {"submitted"}
    assert all(event.subject_id == client_user.pk for event in events)
    assert Intake.objects.get(pk=intake.pk).safety_alert.emailed_at is not None


def test_the_alert_email_holds_nothing_about_the_client(
    client_user: User, clinician_user: User, admin_user: User,
    send_mail_now: Callable[..., Any],
) -> None:
    client_assign(client=client_user, clinician=clinician_user, actor=admin_user)
    with send_mail_now():
        submitted_intake(client_user, item_9=2, legal_name="Zebulon Quiller")
    assert ClientProfile.objects.get(user=client_user).legal_name == "Zebulon Quiller"
    for message in delivered_mail():
        if ALERT_SUBJECT not in message.subject:
            continue
        assert isinstance(message.subject, str)
        text = message.subject + mail_body(message)
        for secret in (CANARY, "Zebulon", "Quiller", client_user.email, "PHQ", "suicid"):
            assert secret.lower() not in text.lower()


def test_with_no_clinician_assigned_the_admins_get_the_alert(
    client_user: User, admin_user: User, colleague: User, send_mail_now: Callable[..., Any],
) -> None:
    with send_mail_now():
        submitted_intake(client_user, item_9=2)
    assert _inboxes(ALERT_SUBJECT) == ["admin@example.com"]
    assert "colleague@example.com" not in _inboxes("")
    [event] = _alert_events()
    assert event.detail == {"recipient": str(admin_user.pk), "trigger": "submitted"}


def test_the_new_intake_email_reaches_the_care_team_as_well_as_the_admins(
    client_user: User, clinician_user: User, admin_user: User, colleague: User,
    send_mail_now: Callable[..., Any],
) -> None:
    client_assign(client=client_user, clinician=clinician_user, actor=admin_user)
    with send_mail_now():
        submitted_intake(client_user)
    assert _inboxes(NEW_INTAKE_SUBJECT) == [
        "admin@example.com", "clinician@example.com"]
    assert _inboxes(ALERT_SUBJECT) == []
    assert _alert_events() == []
    assert "colleague@example.com" not in _inboxes(NEW_INTAKE_SUBJECT)


def test_a_flagged_draft_left_unsent_past_the_setting_alerts_the_care_team_once(
    client_user: User, clinician_user: User, admin_user: User,
    send_mail_now: Callable[..., Any],
) -> None:
    client_assign(client=client_user, clinician=clinician_user, actor=admin_user)
    intake = _flagged_draft(client_user, raised_hours_ago=25)
    with send_mail_now():
        assert send_due_draft_alerts() == 1
    assert _inboxes(ALERT_SUBJECT) == ["clinician@example.com"]
    assert _alert_events()[-1].detail == {"recipient": str(clinician_user.pk),
                                          "trigger": "draft_unsent"}
    with send_mail_now():
        assert send_due_draft_alerts() == 0
    assert len(_inboxes(ALERT_SUBJECT)) == 1
    # Sending the intake later does not alert again; the care team hears it is ready.
    mail.outbox.clear()
    with send_mail_now():
        intake_submit(intake_id=intake.pk, client=client_user, revision=intake.revision)
    assert _inboxes(ALERT_SUBJECT) == []
    assert "clinician@example.com" in _inboxes(NEW_INTAKE_SUBJECT)


def test_a_flagged_draft_is_not_alerted_before_the_practice_setting(
    client_user: User, clinician_user: User, admin_user: User,
    send_mail_now: Callable[..., Any],
) -> None:
    client_assign(client=client_user, clinician=clinician_user, actor=admin_user)
    _flagged_draft(client_user, raised_hours_ago=23)
    with send_mail_now():
        assert send_due_draft_alerts() == 0
    practice = PracticeSettings.load()
    practice.safety_alert_draft_hours = 2
    practice.save()
    with send_mail_now():
        call_command("send_safety_alerts", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _inboxes(ALERT_SUBJECT) == ["clinician@example.com"]


def test_an_acknowledged_alert_sends_no_email(
    client_user: User, clinician_user: User, admin_user: User,
    send_mail_now: Callable[..., Any],
) -> None:
    client_assign(client=client_user, clinician=clinician_user, actor=admin_user)
    intake = _flagged_draft(client_user, raised_hours_ago=30)
    close_alert(alert=intake.safety_alert, by=clinician_user,
                note="Called the client, safety plan agreed.")
    with send_mail_now():
        assert send_due_draft_alerts() == 0
    assert _inboxes(ALERT_SUBJECT) == []
