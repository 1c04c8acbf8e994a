"""Accounts: email login, mandatory verification, password reset, password rules."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, identify_hasher
from django.test import Client
from django.urls import reverse

from portal.models import PracticeSettings, User
from portal.roles import Role
from tests.factories import PASSWORD, UserFactory
from tests.helpers import delivered_mail, mail_body


@pytest.mark.django_db
def test_unverified_email_cannot_sign_in_and_gets_a_new_link(client: Client) -> None:
    person = UserFactory(role=Role.CLIENT, email="late@example.com", verified=False)
    response = client.post(reverse("account_login"), {"login": person.email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert [m.to for m in delivered_mail()] == [["late@example.com"]]
    assert client.get(reverse("client_home")).status_code == HTTPStatus.FOUND


@pytest.mark.django_db
def test_password_reset_by_email(client: Client, client_user: User) -> None:
    client.post(reverse("account_reset_password"), {"email": client_user.email})
    assert len(delivered_mail()) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)",
                     mail_body(delivered_mail()[0]))
    assert link, delivered_mail()[0].body
    response = client.get(link.group(1))
    assert response.status_code == HTTPStatus.FOUND  # allauth moves the key into the session
    new = "Gentle-tide-morning-93"
    response = client.post(response["Location"], {"password1": new, "password2": new})
    assert response.status_code == HTTPStatus.FOUND
    client_user.refresh_from_db()
    assert client_user.check_password(new)


@pytest.mark.django_db
def test_reset_for_unknown_email_reveals_nothing(client: Client) -> None:
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("account_reset_password_done")
    # allauth mails the address "no account here" rather than telling the visitor.
    assert all("nobody@example.com" in m.to for m in delivered_mail())


@pytest.mark.django_db
def test_weak_passwords_are_refused_at_signup(client: Client) -> None:
    PracticeSettings.load()
    PracticeSettings.objects.update(self_signup_enabled=True)
    for weak in ("short1", "password1234", "123456789012", "newperson@example.com"):
        response = client.post(
            reverse("account_signup"),
            {"email": "newperson@example.com", "password1": weak, "password2": weak},
        )
        assert response.status_code == HTTPStatus.OK, weak
    assert not User.objects.filter(email="newperson@example.com").exists()


@pytest.mark.django_db
def test_new_passwords_are_hashed_with_argon2(client: Client) -> None:
    PracticeSettings.load()
    PracticeSettings.objects.update(self_signup_enabled=True)
    client.post(
        reverse("account_signup"),
        {"email": "hash@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    user = User.objects.get(email="hash@example.com")
    assert identify_hasher(user.password).algorithm == "argon2"


class _PortalSingleLaneHasher(Argon2PasswordHasher):
    """The portal's parameters before two lanes (m=19 MiB, t=2, p=1)."""

    memory_cost = 19 * 1024
    time_cost = 2
    parallelism = 1


@pytest.mark.django_db
@pytest.mark.parametrize(("older", "parameters"), [
    (Argon2PasswordHasher(), "m=102400,t=2,p=8"),  # Django's defaults
    (_PortalSingleLaneHasher(), "m=19456,t=2,p=1"),  # the portal's single lane
], ids=["djangos-defaults", "portals-single-lane"])
def test_an_older_argon2_hash_is_renewed_at_the_next_sign_in(
    client: Client, older: Argon2PasswordHasher, parameters: str,
) -> None:
    """Hashes made with other parameters still sign the person in, and are re-hashed with
    the portal's parameters as they do; a wrong password changes nothing."""
    user = UserFactory(email="older@example.com")
    user.password = older.encode(PASSWORD, older.salt())
    user.save(update_fields=["password"])
    assert f"${parameters}$" in user.password

    wrong = client.post(reverse("account_login"),
                        {"login": "older@example.com", "password": PASSWORD + "x"})
    assert wrong.status_code == HTTPStatus.OK
    user.refresh_from_db()
    assert f"${parameters}$" in user.password

    response = client.post(reverse("account_login"),
                           {"login": "older@example.com", "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=2$")
    assert check_password(PASSWORD, user.password)


@pytest.mark.django_db
def test_login_is_by_email_case_insensitively(client: Client, client_user: User) -> None:
    response = client.post(
        reverse("account_login"), {"login": client_user.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(client_user.pk)


@pytest.mark.django_db
def test_user_repr_and_str_hold_no_email(client_user: User) -> None:
    assert client_user.email not in str(client_user)
    assert client_user.email not in repr(client_user)
