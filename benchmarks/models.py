"""The three benchmark models: the same row (an owner and ten free-text answers) stored as
plain text, with our encrypted fields, and with the peer package's.

They live in the test-only ``cryptoapp`` app (installed under ``PORTAL_ENV=test``) and have no
migrations: the benchmark creates their ``bench_*`` tables itself and drops them afterwards.
Import this module only after ``django.setup()``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from encrypted_fields import fields as peer

from portal.crypto.fields import EncryptedTextField
from portal.crypto.models import EncryptedModel

TEXT_FIELDS = tuple(f"answer_{number}" for number in range(10))
ROTATION_FIELDS = TEXT_FIELDS[:4]


class BenchPlain(models.Model):
    """The baseline: what the row costs with no encryption at all."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answer_0 = models.TextField()
    answer_1 = models.TextField()
    answer_2 = models.TextField()
    answer_3 = models.TextField()
    answer_4 = models.TextField()
    answer_5 = models.TextField()
    answer_6 = models.TextField()
    answer_7 = models.TextField()
    answer_8 = models.TextField()
    answer_9 = models.TextField()

    class Meta:
        app_label = "cryptoapp"
        db_table = "bench_plain"

    def __str__(self) -> str:
        return f"bench_plain row {self.pk}"


class BenchOurs(EncryptedModel):
    """Our fields: AES-256-GCM under the owner's data key, bound to model, field and row."""

    encryption_owner_field = "owner"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answer_0 = EncryptedTextField()
    answer_1 = EncryptedTextField()
    answer_2 = EncryptedTextField()
    answer_3 = EncryptedTextField()
    answer_4 = EncryptedTextField()
    answer_5 = EncryptedTextField()
    answer_6 = EncryptedTextField()
    answer_7 = EncryptedTextField()
    answer_8 = EncryptedTextField()
    answer_9 = EncryptedTextField()

    class Meta:
        app_label = "cryptoapp"
        db_table = "bench_ours"

    def __str__(self) -> str:
        return f"bench_ours row {self.pk}"


class BenchPeer(models.Model):
    """django-fernet-encrypted-fields: Fernet under keys derived from SECRET_KEY and SALT_KEY."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answer_0 = peer.EncryptedTextField()
    answer_1 = peer.EncryptedTextField()
    answer_2 = peer.EncryptedTextField()
    answer_3 = peer.EncryptedTextField()
    answer_4 = peer.EncryptedTextField()
    answer_5 = peer.EncryptedTextField()
    answer_6 = peer.EncryptedTextField()
    answer_7 = peer.EncryptedTextField()
    answer_8 = peer.EncryptedTextField()
    answer_9 = peer.EncryptedTextField()

    class Meta:
        app_label = "cryptoapp"
        db_table = "bench_peer"

    def __str__(self) -> str:
        return f"bench_peer row {self.pk}"


class BenchRotation(EncryptedModel):
    """Ours with four answers: the row of the rotation benchmark.

    Four, not ten, to keep 100,000 rows within the run's time budget; the benchmark also
    reports values per second, which does not depend on the width of a row."""

    encryption_owner_field = "owner"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answer_0 = EncryptedTextField()
    answer_1 = EncryptedTextField()
    answer_2 = EncryptedTextField()
    answer_3 = EncryptedTextField()

    class Meta:
        app_label = "cryptoapp"
        db_table = "bench_rotation"

    def __str__(self) -> str:
        return f"bench_rotation row {self.pk}"


# The three ways of storing the same row that the field benchmark compares.
BENCH_MODELS: dict[str, type[models.Model]] = {
    "plain": BenchPlain,
    "ours": BenchOurs,
    "peer": BenchPeer,
}
