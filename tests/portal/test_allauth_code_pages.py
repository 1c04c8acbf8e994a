"""allauth's code and re-authentication pages speak the portal's words: a person asked to
confirm it's you by an emailed code sees "Confirm it's you" and plain sentences, never
allauth's stock "Recipient", "Request Code", "Enter Sign-In Code" or "Confirm Access"."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers import delivered_mail, mail_body

pytestmark = pytest.mark.django_db

STOCK_PHRASES = (
    "Recipient",
    "Request Code",
    "Request new code",
    "Enter Sign-In Code",
    "Confirm Access",
    "Send me a sign-in code",
    "Use authenticator app or code",
    "The code expires shortly",
)
PORTAL_HEADING = "<h1>Confirm it's you</h1>"


def _assert_portal_words(html: str) -> None:
    for phrase in STOCK_PHRASES:
        assert phrase not in html, phrase
    assert PORTAL_HEADING in html


def _request_code(client: Client) -> str:
    page = client.get(reverse("account_request_reauthentication_code"))
    assert page.status_code == HTTPStatus.OK
    recipient = re.search(r'name="recipient" value="([^"]+)"', page.content.decode())
    assert recipient is not None
    response = client.post(reverse("account_request_reauthentication_code"),
                           {"recipient": recipient.group(1)})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_confirm_reauthentication_code"))
    return response["Location"]


@pytest.mark.parametrize("who", ["as_client", "as_admin"])
def test_asking_for_a_code_is_in_the_portals_words(who: str, request: pytest.FixtureRequest
                                                  ) -> None:
    client: Client = request.getfixturevalue(who)
    html = client.get(reverse("account_request_reauthentication_code")).content.decode()
    _assert_portal_words(html)
    assert "Email me a code" in html
    assert "We'll send the code to <strong>" in html


def test_entering_the_code_is_in_the_portals_words(as_client: Client) -> None:
    confirm_url = _request_code(as_client)
    response = as_client.get(confirm_url)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    _assert_portal_words(html)
    assert "We've emailed a short code to <strong>client@example.com</strong>" in html
    assert "mailto:" not in html


def test_the_code_email_is_in_the_portals_words(as_client: Client) -> None:
    _request_code(as_client)
    (message,) = delivered_mail()
    assert message.subject == "Your sign-in code"
    assert "Here is your code." in message.body
    assert "Your sign-in code is listed below" not in message.body


def test_the_code_entered_confirms_it_is_you(as_client: Client) -> None:
    """The restyled page still works: the emailed code confirms, and the page asked for
    before opens."""
    confirm_url = _request_code(as_client)
    code = re.search(r"asked for it:\s+(\S+)", mail_body(delivered_mail()[0]))
    assert code is not None
    response = as_client.post(confirm_url, {"code": code.group(1)})
    assert response.status_code == HTTPStatus.FOUND
    assert not response["Location"].startswith(reverse("account_confirm_reauthentication_code"))


@pytest.mark.parametrize("who", ["as_client", "as_admin"])
def test_the_password_page_offers_other_ways_in_plain_words(
    who: str, request: pytest.FixtureRequest
) -> None:
    client: Client = request.getfixturevalue(who)
    html = client.get(reverse("account_reauthenticate")).content.decode()
    _assert_portal_words(html)
    assert "Email me a code" in html
    if who == "as_admin":  # staff have an authenticator app
        assert "Use my authenticator app or a recovery code" in html


def test_the_authenticator_page_offers_other_ways_in_plain_words(as_admin: Client) -> None:
    html = as_admin.get(reverse("mfa_reauthenticate")).content.decode()
    _assert_portal_words(html)
    assert "Use my password" in html and "Email me a code" in html


# --- Email confirmation pages -------------------------------------------------------------

EMAIL_STOCK_PHRASES = ("Verify Your Email Address", "finalize the signup process",
                       "Confirm Email Address", "is an email address for user",
                       "issue a new email confirmation request")


def test_a_dead_confirmation_link_is_explained_calmly(client: Client) -> None:
    html = client.get(reverse("account_confirm_email", args=["not-a-real-key"])
                      ).content.decode()
    for phrase in EMAIL_STOCK_PHRASES:
        assert phrase not in html, phrase
    assert "<h1>Confirm your email address</h1>" in html
    assert "This link has expired or has already been used." in html


def test_the_check_your_email_page_is_in_the_portals_words(client: Client) -> None:
    html = client.get(reverse("account_email_verification_sent")).content.decode()
    for phrase in EMAIL_STOCK_PHRASES:
        assert phrase not in html, phrase
    assert "<h1>Check your email</h1>" in html
