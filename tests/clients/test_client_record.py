"""A client's record for staff: details, care team, intake, consents and the latest activity
on one page; the admin puts clinicians on the care team and takes them off (which opens and
closes the record to them), and erases a client after re-authenticating and typing their
email. Clinicians can do neither (404)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from clients.services import client_assign
from consents.defaults import install_default_documents
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.crypto.owners import client_owner
from portal.models import CareAssignment, ClientProfile, DataKey, User
from portal.roles import Role
from tests.factories import UserFactory, fill_practice_settings
from tests.helpers import reauthenticate, signed_in
from tests.intake_data import submitted_intake

pytestmark = pytest.mark.django_db

LEGAL_NAME = "Maya Canary-Okafor"


@pytest.fixture
def record_client(client_user: User) -> User:
    ClientProfile.objects.create(user=client_user, legal_name=LEGAL_NAME, phone="555-0100")
    return client_user



def _page(http: Client, client: User) -> str:
    response = http.get(reverse("client_profile", args=[client.pk]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_the_admin_sees_the_whole_record_on_one_page(
    record_client: User, admin_user: User, clinician_user: User
) -> None:
    fill_practice_settings()
    install_default_documents(publish=True)
    client_assign(client=record_client, clinician=clinician_user, actor=None)
    intake = submitted_intake(record_client, legal_name=LEGAL_NAME)
    page = _page(signed_in(admin_user), record_client)
    assert LEGAL_NAME in page
    assert "Dr. Lee" in page and "Remove" in page
    assert reverse("staff_intake_detail", args=[intake.pk]) in page
    assert "Informed consent to psychotherapy: Never signed" in page
    assert reverse("consent_client_timeline", args=[record_client.pk]) in page
    assert "Client profile opened" in page  # this very opening, in the latest activity
    assert reverse("client_erase", args=[record_client.pk]) in page


def test_an_assigned_clinician_reads_the_record_but_cannot_change_the_team_or_erase(
    record_client: User, clinician_user: User
) -> None:
    client_assign(client=record_client, clinician=clinician_user, actor=None)
    http = signed_in(clinician_user)
    page = _page(http, record_client)
    assert LEGAL_NAME in page
    assert reverse("care_team_add", args=[record_client.pk]) not in page
    assert reverse("client_erase", args=[record_client.pk]) not in page
    second = UserFactory(role=Role.CLINICIAN, email="second@example.com", totp=True)
    response = http.post(reverse("care_team_add", args=[record_client.pk]),
                         {"clinician": str(second.pk)})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not CareAssignment.objects.filter(clinician=second).exists()
    assert http.get(reverse("client_erase", args=[record_client.pk])).status_code == 404
    assert http.post(reverse("client_erase", args=[record_client.pk]),
                     {"confirm_email": record_client.email}).status_code == 404
    assert DataKey.objects.filter(destroyed_at__isnull=False).count() == 0


def test_assigning_opens_the_record_to_a_clinician_and_removing_closes_it(
    record_client: User, admin_user: User, clinician_user: User
) -> None:
    clinician = signed_in(clinician_user)
    record_url = reverse("client_profile", args=[record_client.pk])
    assert clinician.get(record_url).status_code == HTTPStatus.NOT_FOUND

    admin = signed_in(admin_user)
    response = admin.post(reverse("care_team_add", args=[record_client.pk]),
                          {"clinician": str(clinician_user.pk)}, follow=True)
    assert "Dr. Lee is now on this client&#x27;s care team." in response.content.decode()
    assert clinician.get(record_url).status_code == HTTPStatus.OK

    admin.post(reverse("care_team_remove", args=[record_client.pk]),
               {"clinician": str(clinician_user.pk)})
    assert clinician.get(record_url).status_code == HTTPStatus.NOT_FOUND
    actions = list(AuditEvent.objects.filter(subject_id=record_client.pk, action__in=[
        Action.CLIENT_ASSIGNED, Action.CLIENT_UNASSIGNED]).values_list("action", "actor_id"))
    assert actions == [(Action.CLIENT_ASSIGNED, admin_user.pk),
                       (Action.CLIENT_UNASSIGNED, admin_user.pk)]


def test_only_a_clinician_can_join_a_care_team(
    record_client: User, admin_user: User, other_client_user: User
) -> None:
    admin = signed_in(admin_user)
    for chosen in (str(admin_user.pk), str(other_client_user.pk), "not-an-id", ""):
        response = admin.post(reverse("care_team_add", args=[record_client.pk]),
                              {"clinician": chosen}, follow=True)
        assert "Choose a clinician from the list." in response.content.decode()
    assert not CareAssignment.objects.exists()


def test_erasing_asks_for_the_password_and_the_email_then_shreds_the_client(
    record_client: User, admin_user: User
) -> None:
    submitted_intake(record_client, legal_name=LEGAL_NAME)
    admin = signed_in(admin_user)
    erase_url = reverse("client_erase", args=[record_client.pk])
    assert admin.get(erase_url)["Location"].startswith(reverse("account_reauthenticate"))
    reauthenticate(admin)
    explanation = admin.get(erase_url).content.decode()
    assert "crypto-shredding" in explanation and "cannot be undone" in explanation

    wrong = admin.post(erase_url, {"confirm_email": "someone@example.com"})
    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    assert "Type the client&#x27;s login email exactly" in wrong.content.decode()
    kind, owner_id = client_owner(record_client.pk)
    assert DataKey.objects.filter(owner_kind=kind, owner_id=owner_id,
                                  destroyed_at__isnull=True).exists()

    response = admin.post(erase_url, {"confirm_email": record_client.email.upper()},
                          follow=True)
    assert response.redirect_chain[-1][0] == reverse("client_list")
    assert "The client was erased" in response.content.decode()
    assert not DataKey.objects.filter(owner_kind=kind, owner_id=owner_id,
                                      destroyed_at__isnull=True).exists()
    record_client.refresh_from_db()
    assert not record_client.is_active
    erased = AuditEvent.objects.get(action=Action.CLIENT_ERASED)
    assert (erased.actor_id, erased.subject_id) == (admin_user.pk, record_client.pk)

    page = _page(admin, record_client)
    assert "details were erased" in page and LEGAL_NAME not in page
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_name FROM portal_clientprofile")
        assert LEGAL_NAME.encode() not in bytes(cursor.fetchone()[0])
    again = admin.get(erase_url).content.decode()
    assert "was erased already" in again
