"""A child's record has no mailbox: a reminder about their unsigned consents goes to the
guardians who sign for them, never to the child's address, and says nothing more."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from clients.cases import case_create, case_participant_invite, child_add, guardian_link
from consents.defaults import install_default_documents
from consents.register import consent_reminders_send
from portal.audit.actions import Action
from portal.models import AuditEvent, User
from tests.factories import fill_practice_settings
from tests.helpers import client_account, delivered_mail, mail_body, run_queued_tasks

pytestmark = pytest.mark.django_db


def test_a_reminder_about_a_childs_consents_goes_to_the_guardians_who_sign(
    admin_user: User,
) -> None:
    fill_practice_settings()
    install_default_documents(publish=True)
    case = case_create(kind="family", created_by=admin_user)
    mum, dad, aunt = (client_account(f"{name}@example.com") for name in ("mum", "dad", "aunt"))
    places = [case_participant_invite(case=case, email=p.email, role="adult", actor=admin_user)
              for p in (mum, dad, aunt)]
    child = child_add(case=case, legal_name="Milo Example",
                      date_of_birth=datetime.date(2019, 3, 1), actor=admin_user)
    for place, signs in zip(places, (True, True, False), strict=True):
        guardian_link(case=case, guardian=place, minor=child, relationship="Family",
                      legal_authority="Joint legal custody", signs_for_child=signs,
                      actor=admin_user)
    assert child.person is not None
    run_queued_tasks()
    mail.outbox.clear()  # the "added to a case" emails
    result = consent_reminders_send(client_ids=[child.person.pk], actor=admin_user)
    assert result.sent == 1
    run_queued_tasks()
    to = sorted(address for message in delivered_mail() for address in message.to)
    # The two parents whose signatures the practice needs; not the aunt, not the child.
    assert to == ["dad@example.com", "mum@example.com"]
    assert all("Milo" not in mail_body(message) for message in delivered_mail())
    [event] = AuditEvent.objects.filter(action=Action.CONSENT_REMINDED)
    assert event.subject_id == child.person.pk
