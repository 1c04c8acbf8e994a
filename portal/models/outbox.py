"""The outbox: one row per email the portal has decided to send.

Why a row of our own beside the task queue's. The queue (``django_tasks_db``'s table) carries
only this row's id as the task's argument, so nothing personal ever sits in the queue table.
What the worker needs to write the email (the address, the template's name, the links and
codes of a content-free context) is here, sealed: the address and context are encrypted under
the data key of the client the message concerns (erasing them shreds it), else the
practice's. The row is also the idempotency record: its id is the email's Message-ID, and a
delivery that finds it already ``sent`` sends nothing.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.crypto.fields import EncryptedCharField, EncryptedJSONField
from portal.crypto.models import EncryptedModel
from portal.crypto.owners import PRACTICE_OWNER, Owner, client_owner
from portal.models.accounts import User


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", pgettext_lazy("email status", "Sent")
    FAILED = "failed", _("Gave up")


class RecipientRole(models.TextChoices):
    """Who a message went to, in words an admin can act on without seeing the address."""

    CLIENT = "client", _("Client")
    CLINICIAN = "clinician", _("Clinician")
    PRACTICE_ADMIN = "practice_admin", _("Practice admin")
    INVITED = "invited", _("Invited person")
    ACCOUNT_HOLDER = "account", _("Account holder")
    NO_ACCOUNT = "no_account", _("Address without an account")


class OutgoingMessage(EncryptedModel):
    """One email to one address, from the moment it is decided until it is sent or given up.

    ``template`` (the email's kind, e.g. ``portal/email/invitation``), the status, the
    attempts and the class of the last error are plaintext, so the "Outgoing messages" page
    and ``queue_status`` need no key. ``address`` and ``context`` are ciphertext; the context
    is emptied once the message is sent (codes and links do not outlive their use).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.CharField(max_length=120)
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="+")
    recipient_role = models.CharField(max_length=20, choices=RecipientRole.choices)
    # The client this message is to or about: its key seals the row; erasing them removes it.
    client = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+")
    address = EncryptedCharField(max_length=254)
    context = EncryptedJSONField(default=dict)
    language = models.CharField(max_length=16)
    status = models.CharField(max_length=10, choices=MessageStatus.choices,
                              default=MessageStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    deliver_by = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # The queue's row of the latest delivery attempt (waiting, or done): erasure removes a
    # waiting one, a reader can follow a message to its task.
    task_id = models.UUIDField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "created_at"], name="outbox_status_created"),
            models.Index(fields=["client"], name="outbox_client"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="outbox_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="failed") | models.Q(failed_at__isnull=False),
                name="outbox_failed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} to a {self.get_recipient_role_display().lower()} ({self.status})"

    def __repr__(self) -> str:
        return f"<OutgoingMessage {self.pk} {self.template} {self.status}>"

    def get_encryption_owner(self) -> Owner:
        """The client the message concerns owns its key (so erasing them shreds it); a
        message that concerns no client (to staff about nobody, to an invited address) is
        sealed under the practice's key."""
        if self.client_id is not None:
            return client_owner(self.client_id)
        return PRACTICE_OWNER

    @classmethod
    def rows_owned_by(cls, owner: Owner) -> models.QuerySet:
        """A client's messages, or (for the practice) those concerning no client."""
        if owner == PRACTICE_OWNER:
            return cls.objects.filter(client__isnull=True)
        return cls.objects.filter(client_id=owner[1])

    @property
    def kind(self) -> str:
        """The email's kind as a token (``intake/email/safety_alert`` is
        ``intake.safety_alert``): for the audit trail and the logs."""
        return self.template.replace("/email/", ".").replace("/", ".")

    @property
    def message_id_header(self) -> str:
        """The RFC 5322 Message-ID every attempt of this message carries, so a copy that
        somehow leaves twice is one message to the recipient's mail program."""
        return f"<{self.pk}@intake-portal>"
