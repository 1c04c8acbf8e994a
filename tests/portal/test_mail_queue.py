"""Email through the task queue: a real SMTP server that refuses and then accepts, the
retry and give-up rules, the idempotency of a delivery run twice, and what the queue's and
the outbox's tables hold (ids and ciphertext, never an address or a link)."""

from __future__ import annotations

import email
import smtplib
import socket
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from evidence.mailsink import MailSink
from portal.audit.models import AuditEvent
from portal.background.tasks import TaskFailed, background_task
from portal.mail import notify
from portal.mail.delivery import backoff, is_transient
from portal.models import Invitation, MessageStatus, OutgoingMessage, PracticeSettings, User
from tests.helpers import delivered_mail, make_queued_tasks_due, run_queued_tasks, signed_in

pytestmark = pytest.mark.django_db

REMINDER = "consents/email/reminder"
INVITATION = "portal/email/invitation"
CANARY_LINK = "https://portal.example/invite/canary-token-7Qx"


def _closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_settings(settings: Any) -> Any:
    """Real SMTP, as production sends: to whatever port the test points it at."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    return settings


def _reminder_to(user: User) -> OutgoingMessage:
    [message] = notify(user, template=REMINDER, context={"practice": PracticeSettings.load()})
    return message


def test_a_refusing_mail_server_delays_the_email_and_it_arrives_once_when_it_accepts(
    smtp_settings: Any, client_user: User,
) -> None:
    queued = _reminder_to(client_user)
    before = timezone.now()
    assert run_queued_tasks() == 1

    waiting = OutgoingMessage.objects.get(pk=queued.pk)
    assert waiting.status == MessageStatus.PENDING
    assert waiting.attempts == 1
    assert waiting.last_error == "builtins.ConnectionRefusedError"
    assert waiting.next_attempt_at is not None
    first_wait = timedelta(seconds=smtp_settings.MAIL_RETRY_FIRST_SECONDS)
    assert waiting.next_attempt_at >= before + first_wait * 0.75
    assert run_queued_tasks() == 0  # the retry waits for its time

    with MailSink() as sink:
        smtp_settings.EMAIL_PORT = sink.port
        make_queued_tasks_due()
        assert run_queued_tasks() == 1
        make_queued_tasks_due()
        run_queued_tasks()
        received = list(sink.messages)

    [raw] = received
    parsed = email.message_from_bytes(raw)
    assert parsed["To"] == client_user.email
    assert parsed["Message-ID"] == f"<{queued.pk}@intake-portal>"
    sent = OutgoingMessage.objects.get(pk=queued.pk)
    assert (sent.status, sent.attempts, sent.last_error) == (MessageStatus.SENT, 2, "")
    assert sent.context == {}  # links and codes do not outlive the send
    # The queue kept no failure: the task handled the refusal and scheduled the retry.
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_a_request_never_waits_for_the_mail_server(smtp_settings: Any, client_user: User,
                                                   admin_user: User) -> None:
    """With the mail server refusing, queuing still succeeds and nothing is sent inline."""
    messages = notify([client_user, admin_user], template=REMINDER,
                      context={"practice": PracticeSettings.load()})
    assert len(messages) == 2
    assert all(m.status == MessageStatus.PENDING and m.attempts == 0 for m in messages)


def test_the_email_is_given_up_after_its_time_and_the_give_up_is_audited(
    smtp_settings: Any, client_user: User,
) -> None:
    queued = _reminder_to(client_user)
    OutgoingMessage.objects.filter(pk=queued.pk).update(
        deliver_by=timezone.now() + timedelta(seconds=1))
    run_queued_tasks()

    failed = OutgoingMessage.objects.get(pk=queued.pk)
    assert failed.status == MessageStatus.FAILED
    assert failed.failed_at is not None
    assert DBTaskResult.objects.filter(status="READY").count() == 0  # no more attempts
    [event] = AuditEvent.objects.filter(action="mail.gave_up")
    assert event.subject_id == client_user.pk
    assert event.detail == {"kind": "consents.reminder", "attempts": 1,
                            "error": "builtins.ConnectionRefusedError"}
    assert client_user.email not in str(event.detail)


@pytest.mark.parametrize(("error", "transient"), [
    (ConnectionRefusedError(), True),
    (TimeoutError(), True),
    (smtplib.SMTPServerDisconnected("gone"), True),
    (smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"mailbox busy")}), True),
    (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such user")}), False),
    (smtplib.SMTPDataError(451, b"try later"), True),
    (smtplib.SMTPDataError(554, b"rejected"), False),
    (smtplib.SMTPAuthenticationError(535, b"bad login"), True),  # fixable by the operator
    (ValueError("a bug"), False),
], ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value))
def test_which_failures_are_tried_again(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


def test_the_backoff_doubles_up_to_its_longest_wait(settings: Any) -> None:
    settings.MAIL_RETRY_FIRST_SECONDS = 60
    settings.MAIL_RETRY_LONGEST_SECONDS = 600
    for attempts, full in [(1, 60), (2, 120), (3, 240), (4, 480), (5, 600), (12, 600)]:
        wait = backoff(attempts).total_seconds()
        assert full * 0.75 <= wait <= full, (attempts, wait)


def test_a_delivery_run_again_after_the_send_sends_nothing(client_user: User) -> None:
    """A worker killed after the message was marked sent but before its task was marked
    done: the task runs again and finds the message sent."""
    queued = _reminder_to(client_user)
    assert len(delivered_mail()) == 1
    DBTaskResult.objects.filter(pk=str(queued.task_id)).update(status="READY", finished_at=None)
    assert run_queued_tasks() == 1
    assert len(delivered_mail()) == 1


def test_an_attempt_abandoned_mid_send_is_sent_again_with_the_same_message_id(
    settings: Any, client_user: User,
) -> None:
    """Killed between the send and its record (the window the delivery docstring names): the
    next attempt sends with the same Message-ID, so mail programs show one message."""
    queued = _reminder_to(client_user)
    long_ago = timezone.now() - timedelta(seconds=settings.TASK_LEASE_SECONDS + 5)
    OutgoingMessage.objects.filter(pk=queued.pk).update(
        status=MessageStatus.SENDING, attempts=1, attempt_started_at=long_ago)
    [message] = delivered_mail()
    assert message.extra_headers["Message-ID"] == f"<{queued.pk}@intake-portal>"
    assert OutgoingMessage.objects.get(pk=queued.pk).attempts == 2


def test_an_attempt_still_within_its_lease_is_left_to_its_worker(client_user: User) -> None:
    queued = _reminder_to(client_user)
    OutgoingMessage.objects.filter(pk=queued.pk).update(
        status=MessageStatus.SENDING, attempts=1, attempt_started_at=timezone.now())
    assert run_queued_tasks() == 1
    assert delivered_mail() == []
    later = OutgoingMessage.objects.get(pk=queued.pk)
    assert DBTaskResult.objects.get(pk=str(later.task_id)).status == "READY"  # looks again later


def test_the_queue_holds_ids_and_the_outbox_holds_ciphertext(client_user: User) -> None:
    [message] = notify("invited.canary@example.com", template=INVITATION,
                       context={"practice": PracticeSettings.load(), "link": CANARY_LINK,
                                "expires_at": timezone.now()})
    [task] = DBTaskResult.objects.all()
    assert task.args_kwargs == {"args": [str(message.pk)], "kwargs": {}}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {DBTaskResult._meta.db_table}")  # noqa: S608
        queue_rows = repr(cursor.fetchall())
        cursor.execute("SELECT address, context FROM portal_outgoingmessage")
        address, context = cursor.fetchone()
    for secret in ("invited.canary", "canary-token-7Qx"):
        assert secret not in queue_rows
        assert secret.encode() not in bytes(address)
        assert secret.encode() not in bytes(context)
    # And the worker still writes the email from it.
    [sent] = delivered_mail()
    assert sent.to == ["invited.canary@example.com"]
    assert CANARY_LINK in sent.body


@background_task()
def leaky_task() -> None:
    raise ValueError("client said: canary-words-in-an-error")


def test_a_failing_task_leaves_its_error_class_and_never_its_message() -> None:
    leaky_task.enqueue()
    assert run_queued_tasks() == 1
    [task] = DBTaskResult.objects.all()
    assert task.status == "FAILED"
    assert task.exception_class_path == f"{TaskFailed.__module__}.TaskFailed"
    assert "builtins.ValueError" in task.traceback
    assert "canary-words" not in task.traceback


def test_with_the_mail_server_down_a_password_reset_and_an_invitation_still_succeed(
    smtp_settings: Any, client: Client, client_user: User, admin_user: User,
) -> None:
    """Before the queue these answered 500 (the reset) or saved and then failed (the
    invitation). Now the request only queues; the emails leave when the server is back."""
    response = client.post(reverse("account_reset_password"), {"email": client_user.email})
    assert response.status_code == HTTPStatus.FOUND
    as_admin = signed_in(admin_user)
    response = as_admin.post(reverse("invitation_list"), {"email": "down.day@example.com"})
    assert response.status_code == HTTPStatus.FOUND
    assert Invitation.objects.filter(email="down.day@example.com").exists()

    run_queued_tasks()  # the workers try, and are refused
    assert set(OutgoingMessage.objects.values_list("status", flat=True)) == {
        MessageStatus.PENDING}
    with MailSink() as sink:
        smtp_settings.EMAIL_PORT = sink.port
        make_queued_tasks_due()
        run_queued_tasks()
        received = [email.message_from_bytes(raw) for raw in sink.messages]
    assert sorted(message["To"] for message in received) == sorted(
        [client_user.email, "down.day@example.com"])
