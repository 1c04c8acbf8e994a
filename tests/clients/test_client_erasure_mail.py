"""Erasing a client takes their email out of the outbox and the queue: nothing waiting,
retrying or given up is sent to them or about them afterwards, and other clients' email is
untouched (issue 16, point 6)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Q
from django_tasks_db.models import DBTaskResult

from clients.services import client_erase
from portal.mail import notify
from portal.mail.delivery import deliver_message
from portal.models import MessageStatus, OutgoingMessage, PracticeSettings, User
from tests.helpers import delivered_mail, given_up_message, make_queued_tasks_due

pytestmark = pytest.mark.django_db

REMINDER = "consents/email/reminder"


def _reminder(recipient: User) -> OutgoingMessage:
    [message] = notify(recipient, template=REMINDER, context={"practice": PracticeSettings.load()})
    return message


def _waiting_deliveries() -> list[str]:
    """The message ids of the delivery tasks still waiting in the queue."""
    return [task.args_kwargs["args"][0] for task in
            DBTaskResult.objects.filter(status="READY", task_path=deliver_message.module_path)]


def test_erasure_removes_the_clients_email_and_its_waiting_tasks_and_nothing_else(
    client_user: User, other_client_user: User, admin_user: User,
) -> None:
    given_up = given_up_message(client_user)
    pending = _reminder(client_user)
    about = notify(admin_user, template="intake/email/submitted_practice",
                   context={"practice": PracticeSettings.load()}, about=client_user)
    # A delivery queued earlier for the same message, still waiting: found by its argument.
    deliver_message.enqueue(str(pending.pk))
    others_given_up = given_up_message(other_client_user)
    others_pending = _reminder(other_client_user)
    ours = {str(given_up.pk), str(pending.pk), str(about[0].pk)}
    assert ours & set(_waiting_deliveries())

    result = client_erase(user=client_user, actor=admin_user)

    assert result.messages_removed == 3
    assert not OutgoingMessage.objects.filter(Q(client=client_user) | Q(recipient=client_user)
                                              ).exists()
    assert not ours & set(_waiting_deliveries())
    # Every queued email goes out now: only the other client's waiting one.
    make_queued_tasks_due()
    sent = delivered_mail()
    assert [message.to for message in sent] == [[other_client_user.email]]
    assert OutgoingMessage.objects.get(pk=others_pending.pk).status == MessageStatus.SENT
    assert OutgoingMessage.objects.get(pk=others_given_up.pk).status == MessageStatus.FAILED


def test_a_delivery_already_running_at_the_erasure_sends_nothing(client_user: User,
                                                                 admin_user: User) -> None:
    """A worker that claimed the task just before the erasure finds the message gone."""
    message = _reminder(client_user)
    DBTaskResult.objects.filter(pk=str(message.task_id)).update(status="RUNNING")
    client_erase(user=client_user, actor=admin_user)
    assert DBTaskResult.objects.filter(pk=str(message.task_id)).exists()  # not ours to cancel
    deliver_message.call(str(message.pk))
    assert delivered_mail() == []


def test_the_erase_command_says_how_many_emails_it_removed(client_user: User) -> None:
    _reminder(client_user)
    given_up_message(client_user)
    out = StringIO()
    call_command("erase_client", client_user.email, "--yes", stdout=out)
    assert "2 outgoing emails removed" in out.getvalue()
    assert delivered_mail() == []
