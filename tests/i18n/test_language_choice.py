"""A language choice on every page, before sign-in too, remembered on the account; the
person's language follows them to any device and into their emails."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.mail import language_for
from portal.models import User
from tests.helpers import sign_in

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db


def _choose(http: Client, code: str, next_url: str = "/accounts/login/") -> TestResponse:
    return http.post(reverse("choose_language"), {"language": code, "next": next_url})


def test_a_visitor_chooses_spanish_before_signing_in(client: Client) -> None:
    english = client.get(reverse("account_login")).content.decode()
    assert '<html lang="en">' in english
    assert 'value="es" lang="es">Español' in english  # the other language, in its own words

    response = _choose(client, "es")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/accounts/login/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"

    spanish = client.get(reverse("account_login")).content.decode()
    assert '<html lang="es">' in spanish
    assert "Saltar al contenido principal" in spanish
    assert "Skip to main content" not in spanish
    assert 'value="en" lang="en">English' in spanish


def test_the_choice_is_kept_on_the_account_and_follows_the_person(
    client: Client, client_user: User
) -> None:
    sign_in(client, client_user)
    _choose(client, "es", next_url=reverse("client_home"))
    client_user.refresh_from_db()
    assert client_user.language == "es"
    assert language_for(client_user) == "es"  # their emails are written in Spanish

    elsewhere = Client()  # another device: no cookie, an English browser
    sign_in(elsewhere, client_user)
    page = elsewhere.get(reverse("client_home"), HTTP_ACCEPT_LANGUAGE="en-US")
    assert '<html lang="es">' in page.content.decode()


def test_a_language_the_portal_does_not_speak_changes_nothing(
    client: Client, client_user: User
) -> None:
    sign_in(client, client_user)
    response = _choose(client, "xx", next_url=reverse("client_home"))
    assert response.status_code == HTTPStatus.FOUND
    client_user.refresh_from_db()
    assert client_user.language == ""
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert language_for(client_user) == settings.LANGUAGE_CODE


def test_the_choice_never_sends_the_person_to_another_site(client: Client) -> None:
    response = _choose(client, "es", next_url="https://evil.example.org/phish")
    assert response["Location"] == "/"


def test_choosing_needs_the_form_token_and_a_post(client_user: User) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("choose_language"), {"language": "es"}).status_code == (
        HTTPStatus.FORBIDDEN)
    assert Client().get(reverse("choose_language")).status_code == (
        HTTPStatus.METHOD_NOT_ALLOWED)


def test_the_scripts_words_are_served_in_the_page_language(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    response = client.get(reverse("javascript_catalog"))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/javascript")
    assert b"django.gettext" in response.content
