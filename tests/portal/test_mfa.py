"""Staff cannot open any staff page until they have enrolled MFA and used it this session."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from portal.models import User
from portal.roles import Role
from tests.factories import PASSWORD, UserFactory, totp_secret_of
from tests.helpers import current_totp_code, reauthenticate, sign_in

STAFF_PAGES = ("staff_home", "invitation_list", "practice_settings", "home")


@pytest.mark.django_db
def test_staff_without_mfa_is_sent_to_enrol_from_every_page(client: Client) -> None:
    admin = UserFactory(role=Role.PRACTICE_ADMIN, email="new.admin@example.com")
    sign_in(client, admin)
    for name in STAFF_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == HTTPStatus.FOUND, name
        assert response["Location"].startswith(reverse("mfa_activate_totp")), name


@pytest.mark.django_db
def test_staff_with_mfa_but_password_only_session_must_enter_a_code(client: Client) -> None:
    clinician = UserFactory(role=Role.CLINICIAN, email="doc@example.com", totp=True)
    # A session that knows only the password (e.g. MFA enrolled in another browser after
    # this session began): force_login skips allauth's MFA stage on purpose.
    client.force_login(clinician)
    response = client.get(reverse("staff_home"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))

    response = client.post(
        reverse("mfa_reauthenticate"), {"code": current_totp_code(totp_secret_of(clinician))}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(reverse("staff_home")).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_staff_login_asks_for_the_code_and_a_wrong_code_gets_nowhere(client: Client) -> None:
    clinician = UserFactory(role=Role.CLINICIAN, email="doc@example.com", totp=True)
    response = client.post(
        reverse("account_login"), {"login": clinician.email, "password": PASSWORD}
    )
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == HTTPStatus.OK
    assert "_auth_user_id" not in client.session
    response = client.get(reverse("staff_home"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_enrolling_totp_then_using_it_opens_staff_pages(client: Client) -> None:
    admin = UserFactory(role=Role.PRACTICE_ADMIN, email="new.admin@example.com")
    sign_in(client, admin)
    # allauth asks for the password again before adding a factor.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == HTTPStatus.OK
    # The secret allauth put in the session for the QR code, as the phone app would scan it.
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": current_totp_code(secret)})
    assert response.status_code == HTTPStatus.FOUND
    assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()

    # Enrolled, but the session has not yet been *authenticated* with the new factor.
    response = client.get(reverse("staff_home"))
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


@pytest.mark.django_db
def test_staff_with_mfa_session_reaches_staff_pages(as_admin: Client) -> None:
    reauthenticate(as_admin)
    for name in ("staff_home", "invitation_list", "practice_settings"):
        assert as_admin.get(reverse(name)).status_code == HTTPStatus.OK, name


@pytest.mark.django_db
def test_clients_may_use_the_portal_without_mfa(as_client: Client) -> None:
    assert as_client.get(reverse("client_home")).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_client_who_turned_mfa_on_is_asked_for_a_code_at_sign_in(client: Client) -> None:
    person = UserFactory(role=Role.CLIENT, email="careful@example.com", totp=True)
    response = client.post(reverse("account_login"), {"login": person.email, "password": PASSWORD})
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    sign_in(Client(), person)


@pytest.mark.django_db
def test_recovery_code_signs_staff_in(client: Client, clinician_user: User) -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    codes = RecoveryCodes(
        Authenticator.objects.get(user=clinician_user, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()
    client.post(reverse("account_login"), {"login": clinician_user.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(reverse("staff_home")).status_code == HTTPStatus.OK
