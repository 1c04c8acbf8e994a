"""``portal.mail.notify``, the one way an email leaves: it refuses a context holding what a
client told us, queues in the caller's transaction (a rolled-back action sends nothing), one
message per address, and the words come from templates only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from portal.mail import PersonalDataInEmail, addresses_of, notify, render_email
from portal.models import ClientProfile, OutgoingMessage, PracticeSettings, User
from tests.factories import UserFactory
from tests.helpers import delivered_mail

pytestmark = pytest.mark.django_db

REMINDER = "consents/email/reminder"  # a real template: "documents are waiting"
CANARY = "Zebulon Quiller"


def _profile(client_user: User) -> ClientProfile:
    return ClientProfile.objects.create(user=client_user, legal_name=CANARY)


@pytest.mark.parametrize("shape", [
    lambda record: record,
    lambda record: [record],
    lambda record: {"nested": (record,)},
    lambda record: ClientProfile.objects.filter(pk=record.pk),
], ids=["record", "in a list", "deep inside", "queryset"])
def test_an_encrypted_record_in_the_context_is_refused_before_anything_is_rendered(
    client_user: User, shape: Callable[[ClientProfile], Any],
) -> None:
    profile = _profile(client_user)
    with pytest.raises(PersonalDataInEmail) as refused:
        notify(client_user, template=REMINDER,
               context={"practice": PracticeSettings.load(), "profile": shape(profile)})
    assert delivered_mail() == []
    assert not OutgoingMessage.objects.exists()
    assert "profile" in str(refused.value)  # where it was, by key
    assert CANARY not in str(refused.value)  # never what it says


def test_mail_is_queued_with_the_transaction_and_not_at_all_when_rolled_back(
    client_user: User,
) -> None:
    context = {"practice": PracticeSettings.load()}
    try:
        with transaction.atomic():
            notify(client_user, template=REMINDER, context=context)
            raise RuntimeError("the action failed")
    except RuntimeError:
        pass
    assert not OutgoingMessage.objects.exists()
    assert delivered_mail() == []

    notify(client_user, template=REMINDER, context=context)
    assert mail.outbox == []  # nothing leaves in the request: a worker sends it
    [message] = delivered_mail()
    assert message.to == [client_user.email]
    assert "documents waiting for you" in message.body
    assert isinstance(message, EmailMultiAlternatives)
    assert message.alternatives == []  # no HTML template for this one
    assert delivered_mail() == [message]  # the queue ran again: still once


def test_each_address_gets_its_own_message_once(
    client_user: User, clinician_user: User,
) -> None:
    notify([clinician_user, client_user, clinician_user, "Someone@example.com",
            "someone@EXAMPLE.com"],
           template=REMINDER, context={"practice": PracticeSettings.load()})
    sent = delivered_mail()
    assert sorted(message.to[0] for message in sent) == sorted(
        [clinician_user.email, client_user.email, "Someone@example.com"])
    assert all(len(message.to) == 1 for message in sent)


def test_nobody_to_tell_sends_nothing() -> None:
    assert notify([], template=REMINDER) == []
    assert delivered_mail() == []


def test_an_account_is_reached_at_its_login_email_an_invitee_at_the_address() -> None:
    user = UserFactory(email="Person@Example.com")
    assert addresses_of(user) == ["Person@Example.com"]
    assert addresses_of([user, "person@example.COM"]) == ["Person@Example.com"]
    assert addresses_of("invited@example.com") == ["invited@example.com"]


def test_the_subject_is_one_line_and_an_html_body_is_sent_when_its_template_exists(
    settings: Any, client_user: User,
) -> None:
    settings.TEMPLATES = [{
        **settings.TEMPLATES[0], "APP_DIRS": False,
        "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"], "loaders": [
            ("django.template.loaders.locmem.Loader", {
                "test/email/hello_subject.txt": "Hello\nthere\n",
                "test/email/hello_message.txt": "Plain {{ link }}\n",
                "test/email/hello_message.html": "<p>Rich {{ link }}</p>\n",
            })]},
    }]
    email = render_email(template="test/email/hello",
                         context={"link": "https://portal.example/x"}, language="en-us")
    assert email.subject == "Hello there"
    assert email.text == "Plain https://portal.example/x"
    assert email.html == "<p>Rich https://portal.example/x</p>"
    notify(client_user, template="test/email/hello", context={"link": "l"})
    [message] = delivered_mail()
    assert isinstance(message, EmailMultiAlternatives)
    assert message.alternatives[0][1] == "text/html"
