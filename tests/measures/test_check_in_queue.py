"""Check-in schedules and the queue, with time moved forward (no sleeping): a weekly
schedule opens one check-in a week, never two open at once; an unanswered one is missed
after the practice's days; reminders go at most the practice's number per check-in, none
while the client has paused them, and say nothing about the client. Only a clinician who
may open the record schedules; the CSI-4 only in a couple case."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from measures.access import may_open_record
from measures.models import CheckIn, CheckInSchedule
from measures.queue import expire_check_ins, open_due_check_ins, send_check_in_reminders
from measures.schedules import reminders_pause, reminders_resume, schedule_end, schedule_set
from portal.audit.models import AuditEvent
from portal.models import PracticeSettings, User
from tests.helpers import couple_case, delivered_mail, mail_body, run_scheduled_job

pytestmark = pytest.mark.django_db

REMINDER_SUBJECT = "a short check-in is waiting"


def _weekly(client: User, by: User, instruments: tuple[str, ...] = ("phq9", "gad7")
            ) -> CheckInSchedule:
    return schedule_set(client=client, case=None, instruments=list(instruments),
                        frequency="weekly", by=by)


def _run_queue(at: datetime) -> None:
    expire_check_ins(now=at)
    open_due_check_ins(now=at)


def _states(client: User) -> list[str]:
    return list(CheckIn.objects.filter(client=client).order_by("due_at")
                .values_list("state", flat=True))


def _reminders() -> list[str]:
    return [address for message in delivered_mail() if REMINDER_SUBJECT in str(message.subject)
            for address in message.to]


def test_setting_a_schedule_opens_the_first_check_in_now_and_records_it(
    caseload: User, clinician_user: User,
) -> None:
    schedule = _weekly(caseload, clinician_user, ("gad7", "phq9", "phq9"))
    assert schedule.instruments == ["phq9", "gad7"]  # check-in order, once each
    check_in = CheckIn.objects.get(client=caseload)
    assert (check_in.state, check_in.instruments) == ("open", ["phq9", "gad7"])
    assert check_in.expires_at - check_in.due_at == timedelta(
        days=PracticeSettings.load().check_in_open_days)
    assert schedule.next_due_at is not None
    assert schedule.next_due_at - check_in.due_at == timedelta(days=7)
    event = AuditEvent.objects.get(action="measures.schedule_set")
    assert (event.subject_id, event.detail) == (caseload.pk, {
        "frequency": "weekly", "instruments": ["phq9", "gad7"]})


def test_a_weekly_schedule_opens_one_a_week_and_the_unanswered_ones_are_missed(
    caseload: User, clinician_user: User,
) -> None:
    _weekly(caseload, clinician_user)
    start = timezone.now()
    _run_queue(start + timedelta(days=3))  # nothing due yet; still open
    assert _states(caseload) == ["open"]
    _run_queue(start + timedelta(days=5, minutes=1))  # past the practice's 5 open days
    assert _states(caseload) == ["missed"]
    _run_queue(start + timedelta(days=7, minutes=1))
    _run_queue(start + timedelta(days=7, minutes=20))  # a second run opens nothing more
    assert _states(caseload) == ["missed", "open"]
    _run_queue(start + timedelta(days=14, minutes=1))
    assert _states(caseload) == ["missed", "missed", "open"]


def test_never_two_open_check_ins_per_schedule(caseload: User, clinician_user: User) -> None:
    practice = PracticeSettings.load()
    practice.check_in_open_days = 10  # longer than a week
    practice.save()
    _weekly(caseload, clinician_user)
    open_due_check_ins(now=timezone.now() + timedelta(days=7, minutes=1))
    assert _states(caseload) == ["missed", "open"]


def test_a_queue_that_was_down_opens_one_check_in_not_three(
    caseload: User, clinician_user: User,
) -> None:
    schedule = _weekly(caseload, clinician_user)
    later = timezone.now() + timedelta(days=22)
    assert open_due_check_ins(now=later) == 1
    schedule.refresh_from_db()
    assert schedule.next_due_at is not None
    assert later < schedule.next_due_at <= later + timedelta(days=7)


def test_once_opens_one_check_in_and_ends(caseload: User, clinician_user: User) -> None:
    schedule = schedule_set(client=caseload, case=None, instruments=["phq9"],
                            frequency="once", by=clinician_user)
    assert (schedule.active, schedule.next_due_at) == (False, None)
    assert open_due_check_ins(now=timezone.now() + timedelta(days=60)) == 0
    assert _states(caseload) == ["open"]


def test_a_new_schedule_ends_the_old_one(caseload: User, clinician_user: User) -> None:
    first = _weekly(caseload, clinician_user)
    second = schedule_set(client=caseload, case=None, instruments=["gad7"],
                          frequency="fortnightly", by=clinician_user)
    first.refresh_from_db()
    assert (first.active, second.active) == (False, True)
    assert AuditEvent.objects.filter(action="measures.schedule_ended").count() == 1
    schedule_end(schedule=second, by=clinician_user)
    assert open_due_check_ins(now=timezone.now() + timedelta(days=30)) == 0


def test_reminders_at_most_the_practices_number_and_none_while_paused(
    caseload: User, clinician_user: User, django_capture_on_commit_callbacks: object,
) -> None:
    schedule = _weekly(caseload, clinician_user)
    start = timezone.now()
    assert send_check_in_reminders(now=start) == 1  # the first when it is due
    assert send_check_in_reminders(now=start + timedelta(hours=2)) == 0  # not again today
    reminders_pause(schedule=schedule, by_client=caseload)
    assert send_check_in_reminders(now=start + timedelta(days=2)) == 0
    reminders_resume(schedule=schedule, by_client=caseload)
    assert send_check_in_reminders(now=start + timedelta(days=2)) == 1
    assert send_check_in_reminders(now=start + timedelta(days=4)) == 0  # the practice's 2
    assert _reminders() == [caseload.email, caseload.email]
    assert [event.detail for event in AuditEvent.objects.filter(
        action="measures.check_in_reminded").order_by("seq")] == [{"reminder": 1},
                                                                 {"reminder": 2}]
    assert AuditEvent.objects.filter(action="measures.reminders_paused").count() == 1


def test_the_practice_may_allow_no_reminders(caseload: User, clinician_user: User) -> None:
    practice = PracticeSettings.load()
    practice.check_in_reminder_max = 0
    practice.save()
    _weekly(caseload, clinician_user)
    assert send_check_in_reminders() == 0


def test_a_reminder_says_nothing_about_the_client_and_links_to_the_check_in(
    caseload: User, clinician_user: User,
) -> None:
    _weekly(caseload, clinician_user)
    assert run_scheduled_job("check_in_reminders") >= 0
    send_check_in_reminders()
    messages = [m for m in delivered_mail() if REMINDER_SUBJECT in str(m.subject)]
    assert len(messages) == 1
    text = str(messages[0].subject) + mail_body(messages[0])
    check_in = CheckIn.objects.get(client=caseload)
    assert reverse("measures_check_in", args=[check_in.pk]) in text
    for secret in ("PHQ", "GAD", "depress", "anx", "score", caseload.email):
        assert secret.lower() not in text.lower()


def test_no_reminder_for_a_missed_check_in(caseload: User, clinician_user: User) -> None:
    _weekly(caseload, clinician_user)
    later = timezone.now() + timedelta(days=6)
    expire_check_ins(now=later)
    assert send_check_in_reminders(now=later) == 0


def test_only_a_clinician_who_may_open_the_record_schedules(
    caseload: User, clinician_user: User, admin_user: User, stranger: User,
    other_client_user: User,
) -> None:
    assert may_open_record(clinician_user, client=caseload, case=None)
    assert may_open_record(admin_user, client=caseload, case=None)
    assert not may_open_record(stranger, client=caseload, case=None)
    assert not may_open_record(caseload, client=caseload, case=None)
    case = couple_case(admin_user, caseload, other_client_user, clinician=stranger)
    assert may_open_record(stranger, client=caseload, case=case)
    assert not may_open_record(clinician_user, client=caseload, case=case)
    assert not may_open_record(stranger, client=clinician_user, case=case)


def test_the_csi4_only_in_a_couple_case(
    caseload: User, clinician_user: User, admin_user: User, other_client_user: User,
) -> None:
    with pytest.raises(ValidationError, match="couple"):
        schedule_set(client=caseload, case=None, instruments=["csi4"], frequency="weekly",
                     by=clinician_user)
    with pytest.raises(ValidationError):
        schedule_set(client=caseload, case=None, instruments=[], frequency="weekly",
                     by=clinician_user)
    with pytest.raises(ValidationError):
        schedule_set(client=caseload, case=None, instruments=["phq9"], frequency="daily",
                     by=clinician_user)
    case = couple_case(admin_user, caseload, other_client_user, clinician=clinician_user)
    schedule = schedule_set(client=caseload, case=case, instruments=["csi4", "phq9"],
                            frequency="four_weekly", by=clinician_user)
    assert schedule.instruments == ["phq9", "csi4"]
    assert CheckIn.objects.get(schedule=schedule).case_id == case.pk
