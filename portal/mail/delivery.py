"""The worker's side of email: ``deliver_message`` writes one queued email and hands it to
the mail server. This is the only module that builds an email or talks to a mail backend.

One attempt, in order:

1. **Claim** the outbox row under a row lock. A row already ``sent`` or ``failed`` (or gone:
   its client was erased) ends the task: a delivery is idempotent, whoever runs it twice. A
   row ``sending`` whose attempt began within ``TASK_LEASE_SECONDS`` belongs to a worker
   still at it; the task steps back and looks again after the lease. Otherwise the row
   becomes ``sending``, its attempt counted, and that commits before anything leaves.
2. **Connect** to the mail server (a refused connection is a failed attempt, below, that
   cost no rendering), then **write** the email from its template and sealed context, in
   the recipient's language. A message that cannot be written (a template or a record
   gone) will never be: give up.
3. **Send**, with the row's id as the Message-ID. Then mark it ``sent`` at once, in its own
   commit (on PostgreSQL without waiting for the disk), and empty its context; only then
   close the connection to the mail server. A worker killed after this commit but before
   the queue marks the task done leaves a task that, run again, finds ``sent`` and sends
   nothing. The one window left is between the mail server's "250 accepted" and that
   commit (a few milliseconds; the worker crash drill of ``make evidence`` reports where its
   kill landed): a worker killed exactly there leaves the row ``sending``, and the next
   attempt sends again with the same Message-ID, which mail programs show once. A lost
   safety alert would be worse than a repeated one.
4. **On failure**: a transient one (server down, refusing for now, timing out) is tried
   again after a backoff (``MAIL_RETRY_FIRST_SECONDS``, doubling, at most
   ``MAIL_RETRY_LONGEST_SECONDS``) until ``deliver_by`` (``MAIL_RETRY_FOR_HOURS`` after it was
   queued); then, or at once for a permanent one (the address refused for good), the row is
   ``failed``: the "Outgoing messages" page shows it with a retry button, and the give-up is
   an audit event. Only the error's class is kept, never its message (it can hold the
   address).
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.utils import timezone

from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.background.tasks import background_task, error_class
from portal.crypto.datakeys import key_scope
from portal.mail.compose import RenderedEmail, decode_context, render_email
from portal.models.accounts import User
from portal.models.outbox import MessageStatus, OutgoingMessage

logger = logging.getLogger("portal.mail")

_jitter = secrets.SystemRandom()


@background_task()
def deliver_message(message_id: str) -> None:
    """Send the outbox row ``message_id`` (see the module for the steps)."""
    with key_scope():
        message = _claim(uuid.UUID(message_id))
        if message is None:
            return
        mailer = get_connection(fail_silently=False)
        try:
            try:
                # The mail server first: while it is down, an attempt costs a claim and a
                # refused connection, not the writing of an email nobody can take.
                mailer.open()
            except Exception as error:
                _attempt_failed(message, error)
                return
            try:
                email = render_email(template=message.template,
                                     context=decode_context(message.context),
                                     language=message.language)
            except Exception as error:
                give_up(message, error_class(error))
                return
            try:
                _hand_over(message, email, mailer)
            except Exception as error:
                _attempt_failed(message, error)
                return
            # Marked sent before the goodbye to the mail server: the window in which a
            # killed worker leaves a sent message looking unsent is as short as it can be.
            _mark_sent(message)
        finally:
            _close_quietly(mailer)


def _attempt_failed(message: OutgoingMessage, error: Exception) -> None:
    if is_transient(error):
        _try_again_later(message, error_class(error))
    else:
        give_up(message, error_class(error))


def _claim(message_id: uuid.UUID) -> OutgoingMessage | None:
    """Lock the row and start an attempt, or return ``None`` when there is nothing to do."""
    now = timezone.now()
    lease = timedelta(seconds=settings.TASK_LEASE_SECONDS)
    with transaction.atomic():
        message = OutgoingMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status in (MessageStatus.SENT, MessageStatus.FAILED):
            return None
        started = message.attempt_started_at
        if message.status == MessageStatus.SENDING and started and started > now - lease:
            # Another worker is sending it right now: look again once its lease is over.
            message.task_id = _enqueue(message, run_after=started + lease)
            message.save(update_fields=["task_id"])
            return None
        message.status = MessageStatus.SENDING
        message.attempts += 1
        message.attempt_started_at = now
        message.next_attempt_at = None
        message.save(update_fields=["status", "attempts", "attempt_started_at",
                                    "next_attempt_at"])
    return message


def _hand_over(message: OutgoingMessage, email: RenderedEmail, mailer: BaseEmailBackend) -> None:
    """Give the email to the configured mail backend (SMTP in production), on the connection
    the caller opened and closes once the message is marked sent."""
    outgoing = EmailMultiAlternatives(
        email.subject, email.text, settings.DEFAULT_FROM_EMAIL, [message.address],
        headers={"Message-ID": message.message_id_header}, connection=mailer,
    )
    if email.html is not None:
        outgoing.attach_alternative(email.html, "text/html")
    outgoing.send()


def _close_quietly(mailer: BaseEmailBackend) -> None:
    """Say goodbye to the mail server; a server that hangs up first changes nothing."""
    try:
        mailer.close()
    except Exception as error:
        logger.info("Closing the mail connection failed (%s)", error_class(error))


def _mark_sent(message: OutgoingMessage) -> None:
    message.status = MessageStatus.SENT
    message.sent_at = timezone.now()
    message.context = {}
    message.last_error = ""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The window for a duplicate is from the mail server's "250" to this commit, so
            # the commit does not wait for its WAL record to reach the disk. What that risks
            # is the same outcome: a database crash losing this commit leaves the row
            # ``sending``, and the next attempt sends it again with the same Message-ID.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        message.save(update_fields=["status", "sent_at", "context", "last_error"])
    logger.info("Mail %s (%s) sent on attempt %d", message.pk, message.kind,
                message.attempts)


def is_transient(error: BaseException) -> bool:
    """Worth trying again later: the server unreachable, busy or timing out, or answering
    4xx. Permanent: every recipient refused with 5xx, or the message itself refused (5xx
    after DATA)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code < 500
    return isinstance(error, (OSError, smtplib.SMTPException, TimeoutError))


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: doubling from the first
    wait, capped, and shortened by up to a quarter at random so that a queue of messages
    held up by one outage does not all come back in the same second."""
    first = settings.MAIL_RETRY_FIRST_SECONDS
    longest = settings.MAIL_RETRY_LONGEST_SECONDS
    seconds = min(first * 2 ** max(attempts - 1, 0), longest)
    return timedelta(seconds=seconds * _jitter.uniform(0.75, 1.0))


def _enqueue(message: OutgoingMessage, *, run_after: datetime) -> uuid.UUID:
    return uuid.UUID(str(deliver_message.using(run_after=run_after).enqueue(str(message.pk)).id))


def _try_again_later(message: OutgoingMessage, cause: str) -> None:
    now = timezone.now()
    when = now + backoff(message.attempts)
    if when > message.deliver_by:
        give_up(message, cause)
        return
    with transaction.atomic():
        message.status = MessageStatus.PENDING
        message.next_attempt_at = when
        message.last_error = cause
        message.task_id = _enqueue(message, run_after=when)
        message.save(update_fields=["status", "next_attempt_at", "last_error", "task_id"])
    logger.warning("Mail %s (%s) attempt %d failed (%s); next at %s", message.pk,
                   message.kind, message.attempts, cause, when.isoformat())


def give_up(message: OutgoingMessage, cause: str) -> None:
    """Mark the message ``failed`` and record ``mail.gave_up`` (its kind, attempts and the
    error's class; the client it concerns as the subject; never the address)."""
    with transaction.atomic():
        message.status = MessageStatus.FAILED
        message.failed_at = timezone.now()
        message.last_error = cause
        message.save(update_fields=["status", "failed_at", "last_error"])
        record_event(Action.MAIL_GAVE_UP, actor=None, subject=message.client_id,
                     target=message, detail={"kind": message.kind,
                                             "attempts": message.attempts, "error": cause})
    logger.error("Mail %s (%s) given up after %d attempts (%s)", message.pk, message.kind,
                 message.attempts, cause)


def retry_failed(message: OutgoingMessage, *, actor: User) -> bool:
    """Put a ``failed`` message back in the queue now, for another ``MAIL_RETRY_FOR_HOURS``
    (the "Retry" button; the caller checks the actor may). Recorded as ``mail.retried``.

    ``True`` if it went back in the queue; ``False``, with nothing changed or recorded, when
    it is no longer ``failed`` (retried already, by a second click or another admin) or
    no longer exists (its client was erased): the row is locked first, so two clicks at
    once queue it once."""
    now = timezone.now()
    with transaction.atomic():
        locked = OutgoingMessage.objects.select_for_update().filter(pk=message.pk).first()
        if locked is None or locked.status != MessageStatus.FAILED:
            return False
        locked.status = MessageStatus.PENDING
        locked.failed_at = None
        locked.deliver_by = now + timedelta(hours=settings.MAIL_RETRY_FOR_HOURS)
        locked.next_attempt_at = now
        locked.task_id = _enqueue(locked, run_after=now)
        locked.save(update_fields=["status", "failed_at", "deliver_by", "next_attempt_at",
                                   "task_id"])
        record_event(Action.MAIL_RETRIED, actor=actor,
                     subject=locked.client_id, target=locked,
                     detail={"kind": locked.kind, "attempts": locked.attempts})
    return True
