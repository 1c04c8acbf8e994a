"""Reminders about an unsent intake: off until the practice turns them on; then the first
after N quiet days, again every M days, at most K; none once the client comes back (until
they stay away again), none for a sent intake or an erased or inactive account; a job run
twice sends once; the email says the intake is waiting and nothing of what it holds."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.services import client_erase
from intake.models import Intake, IntakeReminderState
from intake.reminders import send_due_intake_reminders
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.models import ClientProfile, OutgoingMessage, PracticeSettings, User
from tests.helpers import (
    client_account,
    delivered_mail,
    mail_body,
    run_scheduled_job,
    signed_in,
)
from tests.intake_data import CANARY, filled_draft, submitted_intake

pytestmark = pytest.mark.django_db

SUBJECT = "your intake is waiting"


@pytest.fixture
def reminders_on() -> PracticeSettings:
    """The practice turns reminders on: first after 3 quiet days, then every 4, at most 3
    (the defaults)."""
    practice = PracticeSettings.load()
    practice.intake_reminders_enabled = True
    practice.save()
    return practice


def _earlier(value: datetime | None, days: int) -> datetime | None:
    """``value`` moved ``days`` practice-local days back (same wall-clock time)."""
    return None if value is None else timezone.localtime(value) - timedelta(days=days)


def _days_pass(intake: Intake, days: int) -> None:
    """``days`` days go by: every time the reminders look at moves that far back."""
    row = Intake.objects.get(pk=intake.pk)
    Intake.objects.filter(pk=intake.pk).update(created_at=_earlier(row.created_at, days),
                                               updated_at=_earlier(row.updated_at, days))
    for state in IntakeReminderState.objects.filter(intake_id=intake.pk):
        IntakeReminderState.objects.filter(pk=state.pk).update(
            last_visit_at=_earlier(state.last_visit_at, days),
            last_reminded_at=_earlier(state.last_reminded_at, days))


def _reminders() -> list[str]:
    """Who has received a reminder so far (the job run, and the queue after it)."""
    run_scheduled_job("intake_reminders")
    return [address for message in delivered_mail() if SUBJECT in str(message.subject)
            for address in message.to]


def _visit(http: Client, intake: Intake) -> None:
    response = http.get(reverse("intake_section", args=[intake.id, "feelings"]))
    assert response.status_code == 200


def test_reminders_are_off_by_default_and_send_nothing(client_user: User) -> None:
    intake = filled_draft(client_user)
    _days_pass(intake, 30)
    assert _reminders() == []
    assert not OutgoingMessage.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.INTAKE_REMINDED).exists()


def test_one_reminder_after_the_practices_number_of_quiet_days(
    client_user: User, reminders_on: PracticeSettings,
) -> None:
    intake = filled_draft(client_user)
    _days_pass(intake, 2)
    assert _reminders() == []
    _days_pass(intake, 1)
    assert _reminders() == [client_user.email]
    state = IntakeReminderState.objects.get(intake=intake)
    assert state.reminders_sent == 1 and state.last_reminded_at is not None
    [event] = AuditEvent.objects.filter(action=Action.INTAKE_REMINDED)
    assert event.subject_id == client_user.pk and event.actor_id is None
    assert event.object_id == str(intake.pk) and event.detail == {"reminder": 1}


def test_the_reminder_links_to_the_portal_and_holds_nothing_from_the_intake(
    client_user: User, reminders_on: PracticeSettings,
) -> None:
    intake = filled_draft(client_user, legal_name="Zebulon Quiller")
    ClientProfile.objects.update_or_create(user=client_user,
                                           defaults={"legal_name": "Zebulon Quiller"})
    _days_pass(intake, 3)
    assert _reminders() == [client_user.email]
    [message] = mail.outbox
    text = str(message.subject) + mail_body(message)
    assert settings.PORTAL_BASE_URL + reverse("intake_home") in text
    assert reminders_on.name in text
    for secret in (CANARY, "Zebulon", "Quiller", "sister", "PHQ", str(intake.pk)):
        assert secret.lower() not in text.lower()


def test_reminders_repeat_every_m_days_and_stop_at_the_practices_limit(
    client_user: User, reminders_on: PracticeSettings,
) -> None:
    intake = filled_draft(client_user)
    _days_pass(intake, 3)
    assert len(_reminders()) == 1
    _days_pass(intake, 3)
    assert len(_reminders()) == 1  # every 4 days, not 3
    _days_pass(intake, 1)
    assert len(_reminders()) == 2
    _days_pass(intake, 4)
    assert len(_reminders()) == 3
    _days_pass(intake, 30)
    assert len(_reminders()) == 3  # at most 3
    assert IntakeReminderState.objects.get(intake=intake).reminders_sent == 3


def test_the_client_opening_the_intake_stops_reminders_until_they_stay_away_again(
    client_user: User, reminders_on: PracticeSettings,
) -> None:
    reminders_on.intake_reminder_after_days = 5
    reminders_on.intake_reminder_every_days = 2
    reminders_on.save()
    intake = filled_draft(client_user)
    _days_pass(intake, 5)
    assert len(_reminders()) == 1
    _visit(signed_in(client_user), intake)  # they follow the link
    _days_pass(intake, 2)
    assert len(_reminders()) == 1  # no "every 2 days" after a visit
    _days_pass(intake, 2)
    assert len(_reminders()) == 1
    _days_pass(intake, 1)  # five quiet days since the visit
    assert len(_reminders()) == 2


def test_a_visit_on_the_day_of_a_save_writes_nothing_and_changes_no_reminder(
    client_user: User, reminders_on: PracticeSettings,
) -> None:
    intake = filled_draft(client_user)  # saved today
    http = signed_in(client_user)
    _visit(http, intake)
    assert not IntakeReminderState.objects.filter(intake=intake).exists()
    _days_pass(intake, 2)
    _visit(http, intake)  # two days after the save: the visit is recorded
    state = IntakeReminderState.objects.get(intake=intake)
    assert timezone.localdate(state.last_visit_at) == timezone.localdate()
    _days_pass(intake, 2)
    assert _reminders() == []  # two quiet days since the visit, not four since the save
    _days_pass(intake, 1)
    assert _reminders() == [client_user.email]


def test_another_client_opening_the_page_is_refused_and_stops_nothing(
    client_user: User, other_client_user: User, reminders_on: PracticeSettings,
) -> None:
    intake = filled_draft(client_user)
    _days_pass(intake, 3)
    stranger = signed_in(other_client_user)
    response = stranger.get(reverse("intake_section", args=[intake.id, "feelings"]))
    assert response.status_code == 404
    assert _reminders() == [client_user.email]


def test_a_sent_intake_is_never_reminded(
    client_user: User, reminders_on: PracticeSettings,
) -> None:
    intake = submitted_intake(client_user)
    _days_pass(intake, 30)
    assert _reminders() == []


def test_an_erased_or_inactive_client_is_never_reminded(
    client_user: User, other_client_user: User, admin_user: User,
    reminders_on: PracticeSettings,
) -> None:
    erased, inactive = filled_draft(client_user), filled_draft(other_client_user)
    client_erase(user=client_user, actor=admin_user)
    User.objects.filter(pk=other_client_user.pk).update(is_active=False)
    for intake in (erased, inactive):
        _days_pass(intake, 30)
    assert _reminders() == []
    assert not OutgoingMessage.objects.exists()


def test_running_the_job_twice_on_one_day_sends_one_reminder(
    client_user: User, other_client_user: User, reminders_on: PracticeSettings,
) -> None:
    for client in (client_user, other_client_user):
        _days_pass(filled_draft(client), 3)
    now = timezone.now()
    assert send_due_intake_reminders(now=now) == 2
    assert send_due_intake_reminders(now=now + timedelta(minutes=5)) == 0
    assert sorted(_reminders()) == sorted([client_user.email, other_client_user.email])
    assert AuditEvent.objects.filter(action=Action.INTAKE_REMINDED).count() == 2


def test_many_quiet_intakes_are_reminded_across_batches(
    reminders_on: PracticeSettings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("intake.reminders.BATCH_SIZE", 2)
    clients = [client_account(f"quiet{n}@example.com") for n in range(5)]
    for client in clients:
        _days_pass(filled_draft(client), 3)
    assert sorted(_reminders()) == sorted(client.email for client in clients)
