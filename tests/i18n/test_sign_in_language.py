"""Signing in speaks the account's language from the moment the password is accepted: the
authenticator-code step comes before the person is signed in, yet a client who reads
Spanish sees it in Spanish on a browser that asks for English. A wrong password reveals
nothing: the page stays in the browser's language and no language cookie is set."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.models import User
from portal.roles import Role
from tests.factories import PASSWORD, UserFactory, totp_secret_of
from tests.helpers import current_totp_code

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

ENGLISH_BROWSER = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture
def spanish_client_with_totp(db: None) -> User:
    return UserFactory(role=Role.CLIENT, email="lucia@example.com", language="es", totp=True)


def _password(http: Client, user: User, password: str = PASSWORD) -> TestResponse:
    return http.post(reverse("account_login"), {"login": user.email, "password": password},
                     headers=ENGLISH_BROWSER)


def test_the_code_step_is_in_the_accounts_language(spanish_client_with_totp: User) -> None:
    browser = Client()
    response = _password(browser, spanish_client_with_totp)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert browser.session.get("_auth_user_id") is None  # not signed in yet

    page = browser.get(reverse("mfa_authenticate"), headers=ENGLISH_BROWSER).content.decode()
    assert '<html lang="es">' in page
    assert "Un paso más" in page
    assert "One more step" not in page

    wrong_code = browser.post(reverse("mfa_authenticate"), {"code": "000000"},
                              headers=ENGLISH_BROWSER).content.decode()
    assert '<html lang="es">' in wrong_code and "Un paso más" in wrong_code

    signed_in = browser.post(
        reverse("mfa_authenticate"),
        {"code": current_totp_code(totp_secret_of(spanish_client_with_totp))},
        headers=ENGLISH_BROWSER)
    assert signed_in.status_code == HTTPStatus.FOUND
    home = browser.get(signed_in["Location"], follow=True, headers=ENGLISH_BROWSER)
    assert '<html lang="es">' in home.content.decode()


def test_a_wrong_password_does_not_reveal_the_accounts_language(
        spanish_client_with_totp: User) -> None:
    browser = Client()
    response = _password(browser, spanish_client_with_totp, "not-the-password-at-all")
    assert response.status_code == HTTPStatus.OK  # the sign-in page again, with its error
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Iniciar sesión" not in page
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert settings.LANGUAGE_COOKIE_NAME not in browser.cookies
    assert response.get("Content-Language") == "en"

    # Nor does the code page, reached without the password.
    code_page = browser.get(reverse("mfa_authenticate"), headers=ENGLISH_BROWSER)
    assert settings.LANGUAGE_COOKIE_NAME not in code_page.cookies
    assert 'lang="es"' not in code_page.content.decode()


def test_an_account_that_never_chose_leaves_the_browsers_language() -> None:
    person = UserFactory(role=Role.CLIENT, email="sam@example.com", totp=True)
    browser = Client()
    response = browser.post(reverse("account_login"),
                            {"login": person.email, "password": PASSWORD},
                            headers={"Accept-Language": "es"})
    assert response.status_code == HTTPStatus.FOUND
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    page = browser.get(reverse("mfa_authenticate"), headers={"Accept-Language": "es"})
    assert '<html lang="es">' in page.content.decode()  # the browser's own wish


def test_the_accounts_language_replaces_a_cookie_that_said_otherwise(
        spanish_client_with_totp: User) -> None:
    """Once signed in the account's choice wins over the cookie, so the code step that
    leads there agrees with it."""
    browser = Client()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = _password(browser, spanish_client_with_totp)
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = browser.get(reverse("mfa_authenticate"), headers=ENGLISH_BROWSER).content.decode()
    assert '<html lang="es">' in page
