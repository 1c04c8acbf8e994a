"""The key tables: wrapped data keys and re-encryption runs. They live beside the crypto code
that alone reads and writes them; the app label stays ``portal`` (same tables as before)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from portal.crypto.owners import OWNER_CLIENT, OWNER_PRACTICE


class DataKeyOwnerKind(models.TextChoices):
    CLIENT = OWNER_CLIENT, "Client"
    PRACTICE = OWNER_PRACTICE, "Practice"


class DataKey(models.Model):
    """A random 256-bit key that encrypts one owner's fields, stored only wrapped.

    ``wrapped_key`` is the data key sealed by a master key (whose id ``master_key_id`` repeats
    for fast rotation queries) with associated data naming this row and its owner, so a
    wrapped key copied to another owner does not open. Destroying a key (crypto-shredding)
    empties ``wrapped_key``: every value encrypted under it is then unreadable for good,
    in backups too once they age out.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner_kind = models.CharField(max_length=16, choices=DataKeyOwnerKind.choices)
    owner_id = models.UUIDField(help_text="The client's user id, or all zeros for the practice.")
    wrapped_key = models.BinaryField(null=True, editable=False)
    master_key_id = models.CharField(max_length=36, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text="Replaced by a newer key; still opens old values."
    )
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_kind", "owner_id"],
                condition=models.Q(retired_at__isnull=True, destroyed_at__isnull=True),
                name="portal_datakey_one_active_per_owner",
            ),
            models.CheckConstraint(
                condition=models.Q(destroyed_at__isnull=True, wrapped_key__isnull=False)
                | models.Q(destroyed_at__isnull=False, wrapped_key__isnull=True),
                name="portal_datakey_destroyed_means_no_key",
            ),
        ]
        indexes = [
            models.Index(fields=["master_key_id"], name="portal_datakey_master_idx"),
            # Every key an owner had, live, retired or destroyed: "is this client erased"
            # (a NOT EXISTS per candidate in searches and lists) and a key's history. The
            # partial unique constraint above covers only the live key.
            models.Index(fields=["owner_kind", "owner_id"], name="portal_datakey_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"data key {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<DataKey {self.id} {self.owner_kind}>"


class KeyRotationRun(models.Model):
    """One ``rotate_keys --reencrypt`` run. An unfinished run is resumed, with its original
    cut-off, by the next invocation, so owners already re-encrypted are not done twice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    owners_done = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"key rotation {self.started_at:%Y-%m-%d %H:%M}"
