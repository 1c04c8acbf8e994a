"""allauth's rate limits stop password guessing, sign-up floods and reset spam."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import PracticeSettings, User
from tests.factories import PASSWORD
from tests.helpers import delivered_mail


@pytest.mark.django_db
def test_failed_logins_for_one_account_are_limited(client: Client, client_user: User) -> None:
    responses = [
        client.post(
            reverse("account_login"), {"login": client_user.email, "password": f"wrong-{i}"}
        )
        for i in range(6)
    ]
    limited = b"Too many failed login attempts"
    assert not any(limited in r.content for r in responses[:5])
    assert limited in responses[5].content
    # Even the right password is refused while the limit holds, from any browser.
    response = Client().post(
        reverse("account_login"), {"login": client_user.email, "password": PASSWORD}
    )
    assert limited in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_reset_requests_are_limited(client: Client, client_user: User) -> None:
    statuses = [
        client.post(reverse("account_reset_password"), {"email": client_user.email}).status_code
        for _ in range(8)
    ]
    assert HTTPStatus.TOO_MANY_REQUESTS in statuses
    assert len(delivered_mail()) <= 5


@pytest.mark.django_db
def test_signups_from_one_address_are_limited(client: Client) -> None:
    PracticeSettings.load()
    PracticeSettings.objects.update(self_signup_enabled=True)
    statuses = []
    for i in range(22):
        statuses.append(
            Client().post(
                reverse("account_signup"),
                {"email": f"flood{i}@example.com", "password1": "Pw-flood-123456",
                 "password2": "Pw-flood-123456"},
            ).status_code
        )
    assert HTTPStatus.TOO_MANY_REQUESTS in statuses
    assert User.objects.filter(email__startswith="flood").count() <= 20
