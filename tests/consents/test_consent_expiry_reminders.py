"""Before a signature ends (an authorization's end date), the client is emailed once, the
practice's number of days ahead, with a link to sign again: not for a withdrawn signature,
one already signed again, one that ended before the job ran, or an inactive account. The
email names no document, recipient or purpose."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consents.authorizations import AuthorizationDetails, authorization_sign
from consents.defaults import install_default_documents
from consents.expiry_reminders import send_expiry_reminders
from consents.models import ConsentDocument, ConsentSignature, ConsentVersion
from consents.services import consent_withdraw
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.formatting import format_day
from portal.models import PracticeSettings, User
from tests.factories import fill_practice_settings
from tests.helpers import delivered_mail, mail_body, published_version, run_scheduled_job

pytestmark = pytest.mark.django_db

SUBJECT = "an agreement you signed ends soon"
RECIPIENT = "Dr Canary Recipient, Lakeside Family Practice"
PURPOSE = "At my request, to coordinate my care"


@pytest.fixture
def authorization_version() -> ConsentVersion:
    fill_practice_settings()
    install_default_documents(publish=True)
    return published_version(ConsentDocument.objects.get(kind="release_authorization"))


def _authorize(client: User, version: ConsentVersion, *, ends_in_days: int | None
               ) -> ConsentSignature:
    ends = None if ends_in_days is None else timezone.localdate() + timedelta(ends_in_days)
    details = AuthorizationDetails(
        information="Dates of my sessions", discloser="Riverside Counselling",
        recipient=RECIPIENT, purpose=PURPOSE, expires_on=ends,
        expiry_event="" if ends else "when my treatment ends",
    )
    return authorization_sign(client=client, version_id=version.pk,
                              expected_sha256=version.sha256, typed_name="Robin Example",
                              agreed=True, details=details, submission=uuid.uuid4())


def _reminded() -> list[str]:
    """Who has been told a signature ends soon (the job run now, and the queue after it)."""
    run_scheduled_job("consent_expiry_reminders")
    return [address for message in delivered_mail() if SUBJECT in str(message.subject)
            for address in message.to]


def test_the_client_is_reminded_once_the_practices_days_before_the_end(
    client_user: User, authorization_version: ConsentVersion,
) -> None:
    assert PracticeSettings.load().consent_expiry_reminder_days == 14
    later = _authorize(client_user, authorization_version, ends_in_days=15)
    soon = _authorize(client_user, authorization_version, ends_in_days=14)
    assert _reminded() == [client_user.email]
    assert _reminded() == [client_user.email]  # the next run: nothing more
    assert ConsentSignature.objects.get(pk=soon.pk).expiry_reminded_at is not None
    assert ConsentSignature.objects.get(pk=later.pk).expiry_reminded_at is None
    [event] = AuditEvent.objects.filter(action=Action.CONSENT_REMINDED)
    assert (event.subject_id, event.actor_id, event.detail) == (client_user.pk, None,
                                                                 {"kind": "expiry"})
    assert event.object_id == str(soon.pk)
    # A day later the other one is due, once.
    assert send_expiry_reminders(now=timezone.now() + timedelta(days=1)) == 1
    assert send_expiry_reminders(now=timezone.now() + timedelta(days=1)) == 0


def test_the_email_links_to_sign_again_and_names_nothing_signed(
    client_user: User, authorization_version: ConsentVersion,
) -> None:
    signature = _authorize(client_user, authorization_version, ends_in_days=3)
    assert _reminded() == [client_user.email]
    [message] = mail.outbox
    text = str(message.subject) + mail_body(message)
    assert (settings.PORTAL_BASE_URL
            + reverse("consent_sign", args=[authorization_version.id])) in text
    assert signature.expires_on is not None
    assert format_day(signature.expires_on) in text  # "2 Dec 2026", as every date reads
    for secret in ("Canary", "Lakeside", "coordinate", "Robin", "release", "authoriz",
                   signature.reference):
        assert secret.lower() not in text.lower()


def test_withdrawn_signatures_are_not_reminded(
    client_user: User, authorization_version: ConsentVersion,
) -> None:
    signature = _authorize(client_user, authorization_version, ends_in_days=5)
    consent_withdraw(client=client_user, signature_id=signature.pk)
    assert _reminded() == []


def test_a_signature_already_signed_again_is_not_reminded(
    client_user: User, other_client_user: User, authorization_version: ConsentVersion,
) -> None:
    _authorize(client_user, authorization_version, ends_in_days=5)
    _authorize(client_user, authorization_version, ends_in_days=300)  # renewed
    _authorize(other_client_user, authorization_version, ends_in_days=5)
    _authorize(other_client_user, authorization_version, ends_in_days=2)  # ends sooner
    assert sorted(_reminded()) == [other_client_user.email, other_client_user.email]


def test_signatures_that_already_ended_or_never_end_are_not_reminded(
    client_user: User, authorization_version: ConsentVersion,
) -> None:
    ended = _authorize(client_user, authorization_version, ends_in_days=10)
    ConsentSignature.objects.filter(pk=ended.pk).update(
        expires_on=timezone.localdate() - timedelta(days=20))
    _authorize(client_user, authorization_version, ends_in_days=None)
    assert _reminded() == []


def test_an_inactive_client_is_not_reminded(
    client_user: User, authorization_version: ConsentVersion,
) -> None:
    _authorize(client_user, authorization_version, ends_in_days=1)
    User.objects.filter(pk=client_user.pk).update(is_active=False)
    assert _reminded() == []
    assert not AuditEvent.objects.filter(action=Action.CONSENT_REMINDED).exists()


def test_the_practice_chooses_how_many_days_ahead(
    client_user: User, authorization_version: ConsentVersion,
) -> None:
    practice = PracticeSettings.load()
    practice.consent_expiry_reminder_days = 30
    practice.save()
    _authorize(client_user, authorization_version, ends_in_days=30)
    assert _reminded() == [client_user.email]


def test_the_clients_consent_timeline_shows_the_expiry_reminder(
    as_admin: Client, client_user: User, authorization_version: ConsentVersion,
) -> None:
    _authorize(client_user, authorization_version, ends_in_days=7)
    assert _reminded() == [client_user.email]
    response = as_admin.get(reverse("consent_client_timeline", args=[client_user.pk]))
    [entry] = [entry for entry in response.context["entries"]
               if entry.what == "Reminder sent: a signature ends soon"]
    assert entry.by == "system"
