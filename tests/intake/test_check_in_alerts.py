"""A safety answer on a check-in raises a safety alert like an intake's: once per check-in,
emailed to the care team of the client's record at once (content-free, audited per
recipient), shown on the staff home and flagging the client on the list, with its own staff
page where the care team acknowledges it. Strangers get a 404."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from intake.api import raise_check_in_alert
from intake.models import SafetyAlert
from portal.audit.models import AuditEvent
from portal.models import CareAssignment, User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import couple_case, delivered_mail, mail_body, signed_in
from tests.intake_data import submitted_intake

pytestmark = pytest.mark.django_db

SUBJECT = "a check-in needs prompt review"


@pytest.fixture
def send_mail_now(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _raise(client: User, case: Any = None) -> SafetyAlert:
    return raise_check_in_alert(client=client, case=case, check_in_id=uuid.uuid4())


def test_a_check_in_alert_is_raised_once_and_emails_the_care_team_once(
    caseload: User, clinician_user: User, admin_user: User, send_mail_now: Callable[..., Any],
) -> None:
    check_in_id = uuid.uuid4()
    with send_mail_now():
        alert = raise_check_in_alert(client=caseload, case=None, check_in_id=check_in_id)
        again = raise_check_in_alert(client=caseload, case=None, check_in_id=check_in_id)
    assert again.pk == alert.pk
    assert SafetyAlert.objects.filter(check_in_id=check_in_id).count() == 1
    assert (alert.source, alert.trigger, alert.intake_id) == ("check_in", "check_in", None)
    assert alert.emailed_at is not None
    sent = [message for message in delivered_mail() if SUBJECT in str(message.subject)]
    assert [message.to for message in sent] == [[clinician_user.email]]
    body = mail_body(sent[0])
    assert reverse("staff_alert_detail", args=[alert.pk]) in body
    for secret in (caseload.email, "PHQ", "suicid", "dead"):
        assert secret.lower() not in (str(sent[0].subject) + body).lower()
    events = AuditEvent.objects.filter(action="intake.safety_alert_sent")
    assert [(event.detail["recipient"], event.detail["trigger"], event.subject_id)
            for event in events] == [(str(clinician_user.pk), "check_in", caseload.pk)]


def test_with_no_clinician_the_admins_hear_of_a_check_in_alert(
    client_user: User, admin_user: User, send_mail_now: Callable[..., Any],
) -> None:
    with send_mail_now():
        _raise(client_user)
    assert [message.to for message in delivered_mail()
            if SUBJECT in str(message.subject)] == [[admin_user.email]]


def test_the_database_refuses_an_alert_with_both_or_neither_source(caseload: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        SafetyAlert.objects.create(client=caseload, source="check_in")
    with pytest.raises(IntegrityError), transaction.atomic():
        SafetyAlert.objects.create(client=caseload, source="intake", check_in_id=uuid.uuid4())


def test_the_care_team_sees_it_on_the_home_and_the_client_list_and_acknowledges_it(
    caseload: User, clinician_user: User, other_client_user: User,
) -> None:
    alert = _raise(caseload)
    http = signed_in(clinician_user)
    home = http.get(reverse("staff_home")).content.decode()
    assert reverse("staff_alert_detail", args=[alert.pk]) in home
    assert "1 answer needs prompt review." in home
    page = http.get(reverse("staff_alert_detail", args=[alert.pk]))
    assert page.status_code == 200
    assert "Needs prompt review" in page.content.decode()
    refused = http.post(reverse("staff_alert_acknowledge", args=[alert.pk]), {"note": "  "})
    assert refused.status_code == 400
    assert "Please write what you did" in refused.content.decode()
    done = http.post(reverse("staff_alert_acknowledge", args=[alert.pk]),
                     {"note": "Called the client, safety plan agreed"})
    assert done.status_code == 302
    alert.refresh_from_db()
    assert (alert.closed_by_id, alert.is_open) == (clinician_user.pk, False)
    assert reverse("staff_alert_detail", args=[alert.pk]) not in http.get(
        reverse("staff_home")).content.decode()
    # Reading the note back is recorded; the note is shown to the care team.
    reread = http.get(reverse("staff_alert_detail", args=[alert.pk])).content.decode()
    assert "Called the client, safety plan agreed" in reread
    assert AuditEvent.objects.filter(action="intake.safety_alert_viewed",
                                     subject_id=caseload.pk).count() == 1


def test_a_flagged_client_comes_first_on_the_client_list(
    caseload: User, clinician_user: User, admin_user: User,
) -> None:
    earlier = UserFactory(role=Role.CLIENT, email="aaa@example.com")
    CareAssignment.objects.create(client=earlier, clinician=clinician_user)
    _raise(caseload)
    html = signed_in(clinician_user).get(reverse("client_list")).content.decode()
    assert html.index(caseload.email) < html.index(earlier.email)


def test_a_stranger_gets_404_on_a_check_in_alert_and_cannot_close_it(
    caseload: User, stranger: User, client: Client,
) -> None:
    alert = _raise(caseload)
    http = signed_in(stranger)
    assert http.get(reverse("staff_alert_detail", args=[alert.pk])).status_code == 404
    assert http.post(reverse("staff_alert_acknowledge", args=[alert.pk]),
                     {"note": "I looked"}).status_code == 404
    assert signed_in(caseload).get(
        reverse("staff_alert_detail", args=[alert.pk])).status_code == 404
    alert.refresh_from_db()
    assert alert.is_open


def test_a_case_check_in_alert_is_the_case_care_teams_not_the_individual_clinicians(
    caseload: User, clinician_user: User, admin_user: User, other_client_user: User,
    stranger: User, send_mail_now: Callable[..., Any],
) -> None:
    case = couple_case(admin_user, caseload, other_client_user, clinician=stranger)
    with send_mail_now():
        alert = _raise(caseload, case)
    assert [message.to for message in delivered_mail()
            if SUBJECT in str(message.subject)] == [[stranger.email]]
    assert signed_in(stranger).get(
        reverse("staff_alert_detail", args=[alert.pk])).status_code == 200
    # Dr. Lee treats the client individually, not in the couple's case.
    assert signed_in(clinician_user).get(
        reverse("staff_alert_detail", args=[alert.pk])).status_code == 404


def test_an_intake_alerts_address_leads_to_its_intake(caseload: User,
                                                      clinician_user: User) -> None:
    intake = submitted_intake(caseload, item_9=2)
    alert = SafetyAlert.objects.get(intake=intake)
    assert (alert.client_id, alert.case_id, alert.source) == (caseload.pk, None, "intake")
    response = signed_in(clinician_user).get(reverse("staff_alert_detail", args=[alert.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff_intake_detail", args=[intake.pk])
