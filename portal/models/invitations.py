"""Invitations: how a new client is asked to make an account."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.models.accounts import User
from portal.models.cases import CaseParticipant


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the client")
    ACCEPTED = "accepted", pgettext_lazy("invitation status", "Accepted")
    EXPIRED = "expired", pgettext_lazy("invitation status", "Expired")
    REVOKED = "revoked", pgettext_lazy("invitation status", "Revoked")


class Invitation(models.Model):
    """An admin's invitation for one email address to create a client account.

    The link carries a signed token naming this row and a random nonce; only the SHA-256 of
    the nonce is stored, and resending replaces it, so every earlier link stops working.
    The email is plaintext because it becomes the client's login email.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(default=timezone.now)
    send_count = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    nonce_sha256 = models.CharField(max_length=64)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The language the client reads (``settings.LANGUAGES``), chosen by the admin inviting
    # them: the invitation email is written in it, and the new account starts with it
    # (``invitation_accept``). Empty: the practice's default.
    language = models.CharField(max_length=16, blank=True, default="")
    # The place waiting for this person in a couple or family case: accepting the
    # invitation puts the new account there (``invitation_accept``). Empty for an
    # individual client. Removing the person from the case revokes the invitation.
    participant = models.OneToOneField(
        CaseParticipant, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="invitation",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address: a second "invite" resends the first.
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="portal_invitation_one_open_per_email",
            ),
            models.CheckConstraint(
                condition=~models.Q(accepted_at__isnull=False, revoked_at__isnull=False),
                name="portal_invitation_not_accepted_and_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation {str(self.id)[:8]}"

    @property
    def status(self) -> InvitationStatus:
        if self.accepted_at:
            return InvitationStatus.ACCEPTED
        if self.revoked_at:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked (it may still have expired and be resent)."""
        return self.accepted_at is None and self.revoked_at is None
