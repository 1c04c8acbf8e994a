"""The "Outgoing messages" page: practice admins see the emails the worker gave up on and
those it is still trying, with no address, name or words, and send a given-up one again;
everyone else gets a 404. Every email template has a human label for the page."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import cast

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.formatting import format_when
from portal.mail import notify
from portal.mail.kinds import KIND_LABELS, UNKNOWN_KIND, kind_label
from portal.models import ClientProfile, MessageStatus, OutgoingMessage, PracticeSettings, User
from tests.factories import fill_practice_settings
from tests.helpers import (
    closed_local_port,
    delivered_mail,
    given_up_message,
    run_task_of,
    sign_in,
    signed_in,
)

LEGAL_NAME = "Ingrid Quellmalz-Baptiste"
REMINDER_WORDS = ("there are documents waiting for you", "please sign in to the portal")


def _email_templates() -> set[str]:
    """Every email template the portal can send: ``<dir>/<app>/email/<name>_subject.txt``
    under the project's template folders and under each installed app's templates (allauth's
    account and two-factor mail among them), as ``<app>/email/<name>``, for installed apps
    only (allauth ships templates for its social accounts, which the portal does not use)."""
    folders = [Path(folder) for engine in settings.TEMPLATES
               for folder in cast(list[Path], engine["DIRS"])]
    folders += [Path(config.path) / "templates" for config in apps.get_app_configs()]
    installed = {config.label for config in apps.get_app_configs()}
    found = set()
    for folder in folders:
        for subject in folder.glob("*/email/*_subject.txt"):
            name = str(subject.relative_to(folder)).removesuffix("_subject.txt")
            if name.split("/")[0] in installed:
                found.add(name)
    return found


def test_every_email_template_has_a_label_and_every_label_a_template() -> None:
    templates = _email_templates()
    assert {"portal/email/invitation", "intake/email/safety_alert",
            "account/email/password_reset_key", "mfa/email/totp_activated"} <= templates
    assert sorted(templates - set(KIND_LABELS)) == [], "Add a label in portal/mail/kinds.py"
    assert sorted(set(KIND_LABELS) - templates) == [], "A label for no template"
    assert kind_label("somewhere/email/new_thing") == UNKNOWN_KIND


def _retrying_message(recipient: User) -> OutgoingMessage:
    """An email whose first attempt the mail server refused: it waits for its next try."""
    [message] = notify(recipient, template="intake/email/submitted_client",
                       context={"practice": PracticeSettings.load()})
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           EMAIL_HOST="127.0.0.1", EMAIL_PORT=closed_local_port(), EMAIL_TIMEOUT=5):
        run_task_of(message)
    waiting = OutgoingMessage.objects.get(pk=message.pk)
    assert (waiting.status, waiting.attempts) == (MessageStatus.PENDING, 1)
    return waiting


@pytest.fixture
def client_with_name(client_user: User) -> User:
    fill_practice_settings()
    ClientProfile.objects.create(user=client_user, legal_name=LEGAL_NAME)
    return client_user


@pytest.mark.django_db
def test_the_page_lists_given_up_and_retrying_emails_without_their_content(
    client_with_name: User, admin_user: User,
) -> None:
    gave_up = given_up_message(client_with_name)
    retrying = _retrying_message(client_with_name)
    notify(client_with_name, template="consents/email/reminder",
           context={"practice": PracticeSettings.load()})  # not tried yet: not listed

    page = signed_in(admin_user).get(reverse("outgoing_messages"))
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    given_up_part, retrying_part = text.split("Still being tried", 1)
    assert "Consent reminder Client 1 builtins.ConnectionRefusedError" in given_up_part
    assert gave_up.failed_at is not None and format_when(gave_up.failed_at) in given_up_part
    assert "1 in total" in given_up_part
    assert "Intake received (to the client) Client 1" in retrying_part
    assert retrying.next_attempt_at is not None
    assert format_when(retrying.next_attempt_at) in retrying_part
    assert "1 in total" in retrying_part
    assert html.count(reverse("outgoing_message_retry", args=[gave_up.pk])) == 1
    assert str(retrying.pk) not in html  # nothing to press for an email still being tried
    # Nothing of the person or the email: no address, no name, no subject, no words.
    for secret in (client_with_name.email, LEGAL_NAME, *REMINDER_WORDS):
        assert secret.lower() not in html.lower(), secret


@pytest.mark.django_db
def test_retry_sends_the_email_exactly_once_and_is_audited(
    client_user: User, admin_user: User,
) -> None:
    gave_up = given_up_message(client_user)
    assert delivered_mail() == []
    admin = signed_in(admin_user)
    retry = reverse("outgoing_message_retry", args=[gave_up.pk])

    response = admin.post(retry, follow=True)
    assert response.redirect_chain == [(reverse("outgoing_messages"), HTTPStatus.FOUND)]
    assert "back in the queue" in response.content.decode()
    [sent] = delivered_mail()
    assert sent.to == [client_user.email]
    assert OutgoingMessage.objects.get(pk=gave_up.pk).status == MessageStatus.SENT
    [event] = AuditEvent.objects.filter(action="mail.retried")
    assert (event.actor_id, event.subject_id) == (admin_user.pk, client_user.pk)
    assert event.detail == {"kind": "consents.reminder", "attempts": 1}

    # A second click (or another admin's) is told so and changes nothing.
    again = admin.post(retry, follow=True)
    assert again.status_code == HTTPStatus.OK
    assert "no longer waiting for a retry" in again.content.decode()
    assert len(delivered_mail()) == 1
    assert AuditEvent.objects.filter(action="mail.retried").count() == 1


@pytest.mark.django_db
def test_retry_takes_post_only(client_user: User, admin_user: User) -> None:
    gave_up = given_up_message(client_user)
    admin = signed_in(admin_user)
    response = admin.get(reverse("outgoing_message_retry", args=[gave_up.pk]))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert OutgoingMessage.objects.get(pk=gave_up.pk).status == MessageStatus.FAILED


@pytest.mark.django_db
def test_clinicians_clients_and_strangers_get_a_404_on_both_urls(
    client_user: User, other_client_user: User, clinician_user: User, stranger: User,
    admin_user: User, caseload: User,
) -> None:
    """The clinician is on the client's care team: the email is about their own client,
    and still not theirs to see or send again."""
    gave_up = given_up_message(client_user)
    missing = "00000000-0000-0000-0000-000000000000"
    for person in (client_user, other_client_user, clinician_user, stranger):
        http = signed_in(person)
        assert http.get(reverse("outgoing_messages")).status_code == HTTPStatus.NOT_FOUND
        for target in (gave_up.pk, missing):
            response = http.post(reverse("outgoing_message_retry", args=[target]))
            assert response.status_code == HTTPStatus.NOT_FOUND, person.email
        assert reverse("outgoing_messages") not in http.get(reverse("home"), follow=True
                                                            ).content.decode()
    anonymous = Client()
    for response in (anonymous.get(reverse("outgoing_messages")),
                     anonymous.post(reverse("outgoing_message_retry", args=[gave_up.pk]))):
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith(reverse("account_login"))
    assert OutgoingMessage.objects.get(pk=gave_up.pk).status == MessageStatus.FAILED
    assert not AuditEvent.objects.filter(action="mail.retried").exists()
    assert delivered_mail() == []


@pytest.mark.django_db
def test_an_admin_reaches_the_page_from_the_menu_and_a_made_up_id_is_a_404(
    client: Client, admin_user: User,
) -> None:
    sign_in(client, admin_user)
    home = client.get(reverse("staff_home")).content.decode()
    assert f'href="{reverse("outgoing_messages")}"' in home
    page = client.get(reverse("outgoing_messages")).content.decode()
    assert "No email has been given up." in page and "No email is waiting" in page
    missing = reverse("outgoing_message_retry", args=["00000000-0000-0000-0000-000000000000"])
    assert client.post(missing).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.django_db
def test_given_up_emails_are_paginated_latest_first(client_user: User,
                                                    admin_user: User) -> None:
    messages = [given_up_message(client_user) for _ in range(27)]
    base = timezone.now() - timedelta(days=1)
    for minutes, message in enumerate(messages):
        OutgoingMessage.objects.filter(pk=message.pk).update(
            failed_at=base + timedelta(minutes=minutes))
    admin = signed_in(admin_user)
    first = admin.get(reverse("outgoing_messages")).content.decode()
    assert "27 in total; page 1 of 2" in first
    assert reverse("outgoing_message_retry", args=[messages[-1].pk]) in first
    assert reverse("outgoing_message_retry", args=[messages[0].pk]) not in first
    second = admin.get(reverse("outgoing_messages") + "?page=2").content.decode()
    assert reverse("outgoing_message_retry", args=[messages[0].pk]) in second
