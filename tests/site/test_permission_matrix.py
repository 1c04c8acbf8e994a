"""Who may open what: every URL of the portal against every kind of visitor.

The table is the specification. A URL that exists but is missing from the table fails
``test_every_url_is_in_the_matrix``, so a new page cannot ship without deciding who sees it.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse

from intake.services import intake_start
from portal.models import CareAssignment, Invitation, User
from portal.services.invitations import invitation_send
from tests.access_matrix import (
    ADMIN_PREFIX,
    ALLAUTH_PREFIXES,
    LOGIN,
    MATRIX,
    NOT_FOUND,
    OK,
    REAUTH,
    REDIRECT,
    VISITORS,
    case_objects,
    check_in_objects,
    consent_objects,
    url_names,
)
from tests.factories import UserFactory
from tests.helpers import given_up_message, sign_in
from tests.intake_data import submitted_intake


def test_every_url_is_in_the_matrix() -> None:
    ours = {
        name for name in url_names()
        if not name.startswith(ALLAUTH_PREFIXES) and not name.startswith(ADMIN_PREFIX)
    }
    assert ours == set(MATRIX), "Add new URLs to MATRIX with who may open them."


@pytest.fixture
def objects(admin_user: User, clinician_user: User, client_user: User) -> dict[str, object]:
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    invitation = invitation_send(email="invitee@example.com", invited_by=admin_user)
    # A real token for the accept URL, made the way the email makes it.
    from portal.services import invitations as service

    token = service._new_token(invitation)
    invitation.save(update_fields=["nonce_sha256"])
    submitted = submitted_intake(client_user)
    return {"invitation": invitation, "token": token, "assigned_client": client_user,
            "submitted_intake": submitted, "draft_intake": intake_start(client=client_user),
            **consent_objects(client_user),
            **case_objects(clinician_user),
            **check_in_objects(client_user, clinician_user),
            "given_up_message": given_up_message(client_user)}


@pytest.fixture
def visitors(
    client_user: User, other_client_user: User, clinician_user: User, admin_user: User
) -> dict[str, Client]:
    clients = {"anonymous": Client()}
    for name, user in (("client", client_user), ("other_client", other_client_user),
                       ("clinician", clinician_user), ("admin", admin_user)):
        clients[name] = Client()
        sign_in(clients[name], user)
    return clients


def _outcome(response: HttpResponseBase) -> str:
    status = response.status_code
    if status == HTTPStatus.OK:
        return OK
    if status == HTTPStatus.NOT_FOUND:
        return NOT_FOUND
    if status == HTTPStatus.FOUND:
        if response["Location"].startswith(reverse("account_login")):
            return LOGIN
        if response["Location"].startswith(reverse("account_reauthenticate")):
            return REAUTH
        return REDIRECT
    return str(status)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(MATRIX))
def test_permission_matrix(
    url_name: str, visitors: dict[str, Client], objects: dict[str, object]
) -> None:
    row = MATRIX[url_name]
    url = reverse(url_name, args=row.args(objects))
    seen = {}
    for visitor, http in visitors.items():
        response = getattr(http, row.method)(url)
        seen[visitor] = _outcome(response)
    assert seen == row.expect


@pytest.mark.django_db
def test_stranger_cannot_learn_whether_an_invitation_exists(
    visitors: dict[str, Client], objects: dict[str, object]
) -> None:
    invitation = objects["invitation"]
    assert isinstance(invitation, Invitation)
    real = invitation.id
    missing = "00000000-0000-0000-0000-000000000000"
    for visitor in ("client", "clinician"):
        for target in (real, missing):
            response = visitors[visitor].post(reverse("invitation_revoke", args=[target]))
            assert response.status_code == HTTPStatus.NOT_FOUND
    assert Invitation.objects.get(pk=real).revoked_at is None


@pytest.mark.django_db
def test_stranger_cannot_learn_whether_a_client_exists(
    visitors: dict[str, Client], objects: dict[str, object], other_client_user: User,
    clinician_user: User,
) -> None:
    """A client off the clinician's caseload, a staff account and a made-up id all look the
    same to the clinician: not found. The admin, who sees every client, opens the first."""
    for target in (other_client_user.id, clinician_user.id,
                   "00000000-0000-0000-0000-000000000000"):
        response = visitors["clinician"].get(reverse("client_profile", args=[target]))
        assert response.status_code == HTTPStatus.NOT_FOUND, target
    assert visitors["client"].get(
        reverse("client_profile", args=[other_client_user.id])
    ).status_code == HTTPStatus.NOT_FOUND
    assert visitors["admin"].get(
        reverse("client_profile", args=[other_client_user.id])
    ).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_allauth_pages_never_fail_or_leak(visitors: dict[str, Client]) -> None:
    """Every allauth page without URL arguments: public ones render, private ones ask
    anonymous visitors to sign in; none answers with a server error for anyone."""
    public = {"account_login", "account_signup", "account_reset_password",
              "account_reset_password_done", "account_email_verification_sent",
              "account_inactive", "account_reset_password_from_key_done"}
    names = sorted(n for n in url_names() if n.startswith(ALLAUTH_PREFIXES))
    checked = 0
    for name in names:
        try:
            url = reverse(name)
        except Exception:  # noqa: S112 - pages that need arguments (keys, ids) are skipped
            continue
        checked += 1
        anonymous = visitors["anonymous"].get(url)
        if name in public:
            assert anonymous.status_code in (HTTPStatus.OK, HTTPStatus.FOUND), name
        else:
            assert _outcome(anonymous) in (LOGIN, REDIRECT), name
        for visitor in ("client", "clinician", "admin"):
            assert visitors[visitor].get(url).status_code < 500, (name, visitor)
    assert checked >= 15


@pytest.mark.django_db
def test_django_admin_is_for_superusers_only(visitors: dict[str, Client]) -> None:
    for visitor in VISITORS:
        response = visitors[visitor].get("/django-admin/")
        assert response.status_code == HTTPStatus.FOUND, visitor
    superuser = UserFactory(email="root@example.com", is_superuser=True, is_staff=True,
                            totp=True)
    http = Client()
    sign_in(http, superuser)
    assert http.get("/django-admin/").status_code == HTTPStatus.OK
