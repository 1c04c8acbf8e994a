"""``notify``: decide to send an email. It writes the outbox row and the queue's task in
the caller's transaction, and sends nothing itself: a worker does (``portal.mail.delivery``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.background.cancel import cancel_waiting_tasks, waiting_tasks_taking
from portal.i18n.languages import is_offered, language_of
from portal.mail.compose import encode_context
from portal.mail.delivery import deliver_message
from portal.models import User
from portal.models.outbox import OutgoingMessage, RecipientRole
from portal.roles import Role, roles_of

Recipient = User | str
Recipients = Recipient | Sequence[Recipient]

_ROLE_OF = {Role.CLIENT: RecipientRole.CLIENT, Role.CLINICIAN: RecipientRole.CLINICIAN,
            Role.PRACTICE_ADMIN: RecipientRole.PRACTICE_ADMIN}


# The reserved top-level domain (RFC 2606) of records that are not logins (a child in a
# family case): nothing is ever queued to it.
UNDELIVERABLE_DOMAIN_SUFFIX = ".invalid"


def addresses_of(recipients: Recipients) -> list[str]:
    """Where mail to ``recipients`` goes: each account's login email, or the address given,
    each once (compared without case), in order. Never an address under ``.invalid``: a
    child's record (``clients.cases.child_add``) has no mailbox, and its guardians are
    written to instead by whoever decides the email."""
    listed = [recipients] if isinstance(recipients, (User, str)) else recipients
    seen: dict[str, str] = {}
    for recipient in listed:
        address = recipient.email if isinstance(recipient, User) else recipient
        if address.lower().endswith(UNDELIVERABLE_DOMAIN_SUFFIX):
            continue
        seen.setdefault(address.lower(), address)
    return sorted(seen.values())


def language_for(recipient: User | None) -> str:
    """The language an email to ``recipient`` is written in: the language they chose on the
    portal, else the practice's default (an address with no account yet gets the default)."""
    return language_of(recipient)


def _language(account: User | None, named: str | None) -> str:
    """An account's own language when it has chosen one; else the language the sender
    named, if the portal speaks it; else the practice's default."""
    if (account is None or not account.language) and is_offered(named):
        assert named is not None  # noqa: S101 - narrowing for the type checker
        return named
    return language_for(account)


def _account_for(recipient: Recipient) -> User | None:
    if isinstance(recipient, User):
        return recipient
    return User.objects.filter(email__iexact=recipient, is_active=True).first()


def _role_of(account: User | None, default: RecipientRole) -> RecipientRole:
    """The recipient's role as the "Outgoing messages" page names it: a staff role before
    a client's (a person who is both is reached as staff)."""
    if account is None:
        return default
    roles = roles_of(account)
    for role in (Role.PRACTICE_ADMIN, Role.CLINICIAN, Role.CLIENT):
        if role in roles:
            return _ROLE_OF[role]
    return RecipientRole.ACCOUNT_HOLDER


def notify(
    recipients: Recipients,
    *,
    template: str,
    context: Mapping[str, object] | None = None,
    about: User | None = None,
    role: RecipientRole = RecipientRole.NO_ACCOUNT,
    language: str | None = None,
) -> list[OutgoingMessage]:
    """Queue the email of ``template`` (a path without its ``_subject.txt`` /
    ``_message.txt`` ending) to each of ``recipients`` (accounts, or addresses of people
    without one; each address once, one message each; none, nothing).

    ``context`` must be content-free: an encrypted record in it raises
    ``PersonalDataInEmail`` before anything is written. It is sealed in the outbox row (under
    the key of ``about``, the client the email concerns, or of a client recipient; else the
    practice's) and the worker renders the email from it. ``role`` names an address that
    has no account (``INVITED`` for an invitation).

    Each email is written in its recipient's language (``language_for``); ``language``
    (a code of ``settings.LANGUAGES``) names it for an address with no account yet, whose
    language only the sender knows (an invitation in the language the admin chose). An
    account's own choice still wins over it.

    Everything happens in the caller's transaction: if it rolls back, the email was never
    decided; if it commits, a worker sends it (retrying for ``MAIL_RETRY_FOR_HOURS``).
    """
    addresses = addresses_of(recipients)
    if not addresses:
        return []
    encoded = encode_context(context or {})
    listed = [recipients] if isinstance(recipients, (User, str)) else list(recipients)
    accounts = {address.lower(): _account_for(recipient) for recipient in listed
                for address in addresses_of(recipient)}
    now = timezone.now()
    deliver_by = now + timedelta(hours=settings.MAIL_RETRY_FOR_HOURS)
    queued = []
    with transaction.atomic():
        for address in addresses:
            account = accounts[address.lower()]
            client = about
            if client is None and account is not None and Role.CLIENT in roles_of(account):
                client = account
            message = OutgoingMessage(
                template=template, recipient=account, recipient_role=_role_of(account, role),
                client=client, address=address, context=encoded,
                language=_language(account, language), created_at=now,
                deliver_by=deliver_by,
            )
            message.task_id = deliver_message.enqueue(str(message.pk)).id
            message.save(force_insert=True)
            queued.append(message)
    return queued


def forget_messages_about(client: User) -> int:
    """Remove every outbox row of ``client`` (for their erasure): the messages about them
    (sealed under their key: ``OutgoingMessage.client``) and those to their own account,
    whatever their state, and take back the waiting delivery tasks of those not yet sent,
    so nothing is sent to or about them afterwards; how many rows went.

    Sent rows go too: their ciphertext is unreadable once the key is destroyed, but a row
    saying that an email went to an erased client should not linger. A delivery a worker
    is running at this very moment finds its row gone and sends nothing (or, past the
    send, fails to record it: the email had already left). Called inside the erasure's
    transaction, so a rolled-back erasure keeps them all."""
    messages = OutgoingMessage.objects.filter(Q(client=client) | Q(recipient=client))
    message_ids = [str(pk) for pk in messages.values_list("pk", flat=True)]
    if not message_ids:
        return 0
    recorded = messages.exclude(task_id=None).values_list("task_id", flat=True)
    # The row names its latest task; a task queued for it earlier and still waiting is
    # found by its argument (ids only: the message's id is the task's one argument).
    waiting = waiting_tasks_taking(deliver_message, message_ids)
    cancel_waiting_tasks({*recorded, *waiting})
    deleted, _ = OutgoingMessage.objects.filter(pk__in=message_ids).delete()
    return deleted
