"""What the "Outgoing messages" page lists: emails the worker gave up on, and emails it is
still trying to send. Reads only; sending again is ``portal.mail.delivery.retry_failed``.

No content, by construction. The rows are read with ``values()`` of plaintext columns
only (the recipient's role, the template, attempts, the error's class, times): the
address and the context (ciphertext) are never loaded, so no key is unwrapped and nothing
a client told us, nor their address or name, can reach the page.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from portal.mail.kinds import kind_label
from portal.models.outbox import MessageStatus, OutgoingMessage, RecipientRole

# How many still-retrying emails the page lists (newest first); the page says how many
# there are in all. They need no action, so one screenful is enough.
RETRYING_SHOWN = 50

_COLUMNS = ("id", "recipient_role", "template", "attempts", "last_error", "created_at",
            "failed_at", "next_attempt_at")


@dataclass(frozen=True)
class MessageRow:
    """One email as the page shows it: who it was for (a role), what it was, how often it
    was tried, the last error's class, and when it gave up or will be tried next."""

    id: uuid.UUID
    recipient_role: str
    kind: str
    attempts: int
    last_error: str
    created_at: datetime
    failed_at: datetime | None
    next_attempt_at: datetime | None


def given_up() -> QuerySet[OutgoingMessage]:
    """Emails given up (``failed``), the latest give-up first."""
    return OutgoingMessage.objects.filter(status=MessageStatus.FAILED).order_by(
        "-failed_at", "-created_at", "id")


def retrying() -> QuerySet[OutgoingMessage]:
    """Emails still being tried after at least one failed attempt, newest first."""
    return OutgoingMessage.objects.filter(
        status__in=[MessageStatus.PENDING, MessageStatus.SENDING], attempts__gt=0,
    ).order_by("-created_at", "id")


def _row(values: dict[str, Any]) -> MessageRow:
    return MessageRow(
        id=values["id"],
        recipient_role=str(RecipientRole(values["recipient_role"]).label),
        kind=kind_label(values["template"]),
        attempts=values["attempts"],
        last_error=values["last_error"],
        created_at=values["created_at"],
        failed_at=values["failed_at"],
        next_attempt_at=values["next_attempt_at"],
    )


def rows_of(values: Iterable[dict[str, Any]]) -> list[MessageRow]:
    """Rows from plaintext values (``given_up_values()``, or a page of it)."""
    return [_row(item) for item in values]


def given_up_values() -> QuerySet[Any]:
    """``given_up()`` as plaintext values only, for a paginator."""
    return given_up().values(*_COLUMNS)


def retrying_rows() -> tuple[list[MessageRow], int]:
    """The newest ``RETRYING_SHOWN`` emails still being tried, and how many there are."""
    messages = retrying()
    return rows_of(messages.values(*_COLUMNS)[:RETRYING_SHOWN]), messages.count()
