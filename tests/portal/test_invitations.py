"""Invitations: an admin invites by email; the link is signed, single-use and expiring."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from portal.models import Invitation, PracticeSettings, User
from portal.roles import Role, roles_of
from portal.services.invitations import TOKEN_SALT

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse
from tests.helpers import delivered_mail, mail_body, must_search

NEW_PASSWORD = "Quiet-meadow-river-7"
LINK_PATTERN = re.compile(r"https?://testserver(/invitations/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> object:
    """Mail is sent when the transaction commits; tests run inside one, so run the
    callbacks as the request's transaction would have committed."""
    global _capture
    _capture = django_capture_on_commit_callbacks
    return _capture


_capture: Any = None


def _invite(client: Client, email: str = "new.person@example.com") -> str:
    """Send an invitation through the admin's page; return the link's path from the email."""
    mail.outbox.clear()
    with _capture(execute=True):
        response = client.post(reverse("invitation_list"), {"email": email})
    assert response.status_code == HTTPStatus.FOUND
    assert len(delivered_mail()) == 1
    match = LINK_PATTERN.search(mail_body(delivered_mail()[0]))
    assert match, delivered_mail()[0].body
    return match.group(1)


def _sign_up(client: Client, email: str) -> TestResponse:
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


@pytest.mark.django_db
def test_invited_client_signs_up_with_email_already_verified(as_admin: Client) -> None:
    path = _invite(as_admin)
    as_admin.post(reverse("account_logout"))
    visitor = Client()
    response = visitor.get(path)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("account_signup")
    page = visitor.get(reverse("account_signup"))
    assert b'value="new.person@example.com"' in page.content
    assert b"readonly" in page.content

    response = _sign_up(visitor, "new.person@example.com")
    assert response.status_code == HTTPStatus.FOUND

    user = User.objects.get(email="new.person@example.com")
    assert EmailAddress.objects.get(user=user).verified
    assert roles_of(user) == {Role.CLIENT}
    invitation = Invitation.objects.get(email="new.person@example.com")
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    # Signed in straight away: no verification email needed, the link proved the address.
    assert visitor.get(reverse("client_home")).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_invitation_email_carries_no_clinical_content_and_no_pii_in_link(
    as_admin: Client,
) -> None:
    path = _invite(as_admin, "private.person@example.com")
    message = delivered_mail()[0]
    assert "private.person" not in path
    assert "private.person" not in message.subject
    assert "intake" not in message.subject.lower()


@pytest.mark.django_db
def test_reused_link_gets_a_clear_page(as_admin: Client) -> None:
    path = _invite(as_admin)
    as_admin.post(reverse("account_logout"))
    first = Client()
    first.get(path)
    _sign_up(first, "new.person@example.com")
    again = Client().get(path)
    assert again.status_code == HTTPStatus.GONE
    assert b"This invitation has already been used" in again.content


@pytest.mark.django_db
def test_expired_link_gets_a_clear_page(as_admin: Client) -> None:
    path = _invite(as_admin)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = Client().get(path)
    assert response.status_code == HTTPStatus.GONE
    assert b"This invitation link has expired" in response.content


@pytest.mark.django_db
def test_tampered_links_get_a_clear_page_not_a_500(as_admin: Client) -> None:
    path = _invite(as_admin)
    token = path.split("/")[2]
    invitation = Invitation.objects.get()
    forged_payload = signing.dumps({"i": str(invitation.id), "n": "guessed"}, salt="other")
    hostile = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        token + "x",
        "not-a-token",
        "' OR 1=1 --",
        forged_payload,
        signing.dumps({"i": "not-a-uuid", "n": "x"}, salt=TOKEN_SALT),
        signing.dumps(["a", "list"], salt=TOKEN_SALT),
        "%00",
        "A" * 2000,
    ]
    for bad in hostile:
        response = Client().get(reverse("invitation_accept", args=[bad]))
        assert response.status_code == HTTPStatus.BAD_REQUEST, bad
        assert b"This invitation link is not valid" in response.content


@pytest.mark.django_db
def test_resend_kills_the_earlier_link(as_admin: Client) -> None:
    old_path = _invite(as_admin)
    invitation = Invitation.objects.get()
    mail.outbox.clear()
    with _capture(execute=True):
        as_admin.post(reverse("invitation_resend", args=[invitation.id]))
    new_path = must_search(LINK_PATTERN, mail_body(delivered_mail()[0])).group(1)
    assert new_path != old_path
    assert Client().get(old_path).status_code == HTTPStatus.GONE
    assert Client().get(new_path).status_code == HTTPStatus.FOUND


@pytest.mark.django_db
def test_inviting_the_same_address_twice_resends_instead_of_duplicating(
    as_admin: Client,
) -> None:
    _invite(as_admin, "twice@example.com")
    _invite(as_admin, "Twice@Example.com")
    invitation = Invitation.objects.get()
    assert invitation.send_count == 2


@pytest.mark.django_db
def test_revoked_link_gets_a_clear_page(as_admin: Client) -> None:
    path = _invite(as_admin)
    as_admin.post(reverse("invitation_revoke", args=[Invitation.objects.get().id]))
    response = Client().get(path)
    assert response.status_code == HTTPStatus.GONE
    assert b"This invitation was withdrawn" in response.content


@pytest.mark.django_db
def test_invitation_cannot_be_used_to_sign_up_with_another_address(as_admin: Client) -> None:
    path = _invite(as_admin)
    as_admin.post(reverse("account_logout"))
    visitor = Client()
    visitor.get(path)
    response = _sign_up(visitor, "someone.else@example.com")
    assert response.status_code == HTTPStatus.OK
    assert b"the email address your invitation was sent to" in response.content
    assert not User.objects.filter(email="someone.else@example.com").exists()
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.django_db
def test_cannot_invite_an_address_that_already_has_an_account(
    as_admin: Client, client_user: User
) -> None:
    response = as_admin.post(reverse("invitation_list"), {"email": client_user.email.upper()})
    assert response.status_code == HTTPStatus.OK
    assert b"already exists" in response.content
    assert not Invitation.objects.exists()
    assert not delivered_mail()


@pytest.mark.django_db
def test_invitation_form_refuses_malformed_addresses(as_admin: Client) -> None:
    for bad in ["", "not-an-email", "a@", "<script>@x.com", "x" * 300 + "@example.com"]:
        response = as_admin.post(reverse("invitation_list"), {"email": bad})
        assert response.status_code == HTTPStatus.OK, bad
        assert b"is-invalid" in response.content or b"invalid-feedback" in response.content
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_self_signup_is_off_by_default_and_can_be_turned_on() -> None:
    visitor = Client()
    response = _sign_up(visitor, "walk.in@example.com")
    assert not User.objects.filter(email="walk.in@example.com").exists()
    assert response.status_code == HTTPStatus.OK  # allauth's "sign-up is closed" page

    PracticeSettings.load()
    PracticeSettings.objects.update(self_signup_enabled=True)
    response = _sign_up(Client(), "walk.in@example.com")
    assert response.status_code == HTTPStatus.FOUND
    user = User.objects.get(email="walk.in@example.com")
    assert roles_of(user) == {Role.CLIENT}
    # Self-signup must verify the address by email before the account can be used.
    assert not EmailAddress.objects.get(user=user).verified
    assert any("walk.in@example.com" in m.to for m in delivered_mail())


@pytest.mark.django_db
def test_signed_in_person_opening_an_invitation_is_told_to_sign_out_first(
    as_admin: Client, client_user: User
) -> None:
    path = _invite(as_admin)
    response = as_admin.get(path)
    assert response.status_code == HTTPStatus.CONFLICT
    assert Invitation.objects.get().accepted_at is None
