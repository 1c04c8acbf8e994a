"""Pages people land on when something is off, and what each role sees on every page."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.html import escape
from django.views.defaults import server_error

from portal.models import DEFAULT_CRISIS_TEXT, User
from tests.factories import totp_secret_of
from tests.helpers import current_totp_code


@pytest.mark.django_db
def test_missing_page_is_a_calm_404(client: Client) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"We can" in response.content  # "We can't find that page"
    assert b"Traceback" not in response.content


def test_server_error_page_renders_without_any_context() -> None:
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert b"<html" in response.content
    assert b"Traceback" not in response.content


@pytest.mark.django_db
def test_form_sent_without_csrf_token_gets_a_plain_explanation(client_user: object) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("account_login"), {"login": "x@example.com", "password": "y"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert b"Nothing you saved has been lost" in response.content
    assert b"CSRF" not in response.content  # jargon and the failure reason stay hidden


@pytest.mark.django_db
def test_clients_and_visitors_get_quick_exit_and_crisis_text(as_client: Client) -> None:
    for response in (as_client.get(reverse("client_home")), Client().get(reverse("home"))):
        assert b'id="quick-exit"' in response.content
        assert b"988" in response.content
        assert escape(DEFAULT_CRISIS_TEXT.split(".")[0]).encode() in response.content


@pytest.mark.django_db
def test_staff_pages_have_no_quick_exit(as_clinician: Client) -> None:
    response = as_clinician.get(reverse("staff_home"))
    assert response.status_code == HTTPStatus.OK
    assert b'id="quick-exit"' not in response.content


@pytest.mark.django_db
def test_signed_in_pages_carry_the_idle_timeout_for_the_warning(as_client: Client) -> None:
    response = as_client.get(reverse("client_home"))
    assert b'data-idle-timeout-seconds="900"' in response.content
    assert b'id="idle-warning"' in response.content


@pytest.mark.django_db
def test_every_allauth_page_uses_the_portal_layout(client: Client) -> None:
    for name in ("account_login", "account_signup", "account_reset_password"):
        body = client.get(reverse(name)).content
        assert b'href="#main"' in body, name  # skip link from base.html
        assert b"portal.css" in body, name


@pytest.mark.django_db
def test_second_step_and_reauthentication_speak_plainly(
    client: Client, clinician_user: User
) -> None:
    from tests.factories import PASSWORD

    client.post(reverse("account_login"), {"login": clinician_user.email, "password": PASSWORD})
    page = client.get(reverse("mfa_authenticate"))
    assert b"One more step" in page.content and b"recovery codes" in page.content
    assert b'id="logout-from-stage"' in page.content
    client.post(reverse("mfa_authenticate"),
                {"code": current_totp_code(totp_secret_of(clinician_user))})
    page = client.get(reverse("account_reauthenticate"))
    assert b"Confirm it&#x27;s you" in page.content or b"Confirm it's you" in page.content
