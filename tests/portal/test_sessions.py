"""Idle timeout, staying signed in, and logout that ends the session on the server."""

from __future__ import annotations

import time
from http import HTTPStatus

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from portal.middleware import LAST_ACTIVITY_KEY
from portal.models import PracticeSettings, User


def _age_session(client: Client, seconds: float) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = time.time() - seconds
    session.save()


@pytest.mark.django_db
def test_idle_session_is_signed_out_server_side(as_client: Client) -> None:
    session_key = as_client.session.session_key
    _age_session(as_client, 15 * 60 + 1)
    response = as_client.get(reverse("client_home"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))
    assert not Session.objects.filter(session_key=session_key).exists()


@pytest.mark.django_db
def test_active_session_stays_signed_in(as_client: Client) -> None:
    _age_session(as_client, 14 * 60)
    assert as_client.get(reverse("client_home")).status_code == HTTPStatus.OK
    # That request counted as activity: the clock starts again.
    assert as_client.get(reverse("session_status")).json()["seconds_left"] > 14 * 60


@pytest.mark.django_db
def test_idle_timeout_follows_the_practice_setting(as_client: Client) -> None:
    PracticeSettings.objects.update(idle_timeout_minutes=30)
    _age_session(as_client, 20 * 60)
    assert as_client.get(reverse("client_home")).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_asking_for_status_does_not_count_as_activity(as_client: Client) -> None:
    _age_session(as_client, 14 * 60 + 30)
    left = as_client.get(reverse("session_status")).json()["seconds_left"]
    assert 0 < left <= 30
    again = as_client.get(reverse("session_status")).json()["seconds_left"]
    assert again <= left


@pytest.mark.django_db
def test_stay_signed_in_resets_the_clock(as_client: Client) -> None:
    _age_session(as_client, 14 * 60 + 30)
    response = as_client.post(reverse("session_keepalive"))
    assert response.status_code == HTTPStatus.OK
    assert response.json()["seconds_left"] > 14 * 60


@pytest.mark.django_db
def test_keepalive_requires_csrf(client_user: User) -> None:
    from tests.helpers import sign_in

    strict = Client(enforce_csrf_checks=True)
    sign_in_client = Client()
    sign_in(sign_in_client, client_user)
    strict.cookies = sign_in_client.cookies
    response = strict.post(reverse("session_keepalive"))
    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.django_db
def test_logout_deletes_the_session_row(as_client: Client) -> None:
    session_key = as_client.session.session_key
    assert session_key is not None
    response = as_client.post(reverse("account_logout"))
    assert response.status_code == HTTPStatus.FOUND
    assert not Session.objects.filter(session_key=session_key).exists()
    # The old cookie, replayed, opens nothing.
    replay = Client()
    replay.cookies["sessionid"] = session_key
    assert replay.get(reverse("client_home")).status_code == HTTPStatus.FOUND


@pytest.mark.django_db
def test_session_cookie_is_httponly_and_samesite(client: Client, client_user: User) -> None:
    from tests.factories import PASSWORD

    response = client.post(
        reverse("account_login"), {"login": client_user.email, "password": PASSWORD}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_status_poll_after_timeout_says_signed_out_calmly(as_client: Client) -> None:
    _age_session(as_client, 15 * 60 + 1)
    response = as_client.get(reverse("session_status"))
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"authenticated": False, "seconds_left": 0}
    login_page = as_client.get(reverse("account_login"))
    assert b"signed out after a period of inactivity" in login_page.content
