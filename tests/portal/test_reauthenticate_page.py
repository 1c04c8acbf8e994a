"""The password check before sensitive steps says, calmly and truly, why it is asked: staff
meet it before downloads of client records, erasing a client and publishing a consent
document, not only before account changes; clients before changes to how they sign in. The
sentence depends on the role alone, never on anything in the request."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import User

pytestmark = pytest.mark.django_db

STAFF_REASON = ("We ask for it before sensitive steps, such as downloading a client's "
                "records, erasing a client, publishing a consent document or changing your "
                "sign-in settings.")
CLIENT_REASON = ("We ask for it before changes to how you sign in, such as your password, "
                 "email address or two-step sign-in.")
OLD_WORDING = "affect your account"


def test_staff_are_told_why_before_a_download(as_admin: Client, client_user: User) -> None:
    export = reverse("consent_register_csv")
    response = as_admin.get(export)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_reauthenticate"))

    html = as_admin.get(response["Location"]).content.decode()

    assert "Please enter your password again." in html
    assert STAFF_REASON in html
    assert OLD_WORDING not in html and CLIENT_REASON not in html


def test_clients_are_told_it_is_about_how_they_sign_in(as_client: Client) -> None:
    html = as_client.get(reverse("account_reauthenticate")).content.decode()
    assert "Please enter your password again." in html
    assert CLIENT_REASON in html
    assert OLD_WORDING not in html and "erasing a client" not in html


def test_the_sentence_never_echoes_the_next_address(as_admin: Client) -> None:
    hostile = "/staff/</p><script>alert(1)</script>"
    response = as_admin.get(f"{reverse('account_reauthenticate')}?next={quote(hostile)}")
    html = response.content.decode()
    assert STAFF_REASON in html
    assert "<script>alert(1)" not in html


def test_the_authenticator_code_page_gives_the_same_reason(as_admin: Client) -> None:
    html = as_admin.get(reverse("mfa_reauthenticate")).content.decode()
    assert "6-digit code from your authenticator app" in html
    assert STAFF_REASON in html
    assert "Enter an authenticator code:" not in html
