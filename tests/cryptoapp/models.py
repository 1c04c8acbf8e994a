"""Every encrypted field type, owned by a client, for the encryption tests and benchmarks."""

from __future__ import annotations

import uuid

from django.db import models

from portal.crypto.fields import (
    EncryptedBooleanField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedDecimalField,
    EncryptedIntegerField,
    EncryptedJSONField,
    EncryptedTextField,
)
from portal.crypto.models import EncryptedModel
from portal.models import User


class Specimen(EncryptedModel):
    encryption_owner_field = "owner"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    owner = models.ForeignKey(User, on_delete=models.CASCADE)
    text = EncryptedTextField(null=True, blank=True)
    char = EncryptedCharField(max_length=20, null=True, blank=True)
    day = EncryptedDateField(null=True, blank=True)
    number = EncryptedIntegerField(null=True, blank=True)
    flag = EncryptedBooleanField(null=True, blank=True)
    amount = EncryptedDecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    data = EncryptedJSONField(null=True, blank=True)
    other_text = EncryptedTextField(null=True, blank=True)
    plain = models.CharField(max_length=50, blank=True)


class PracticeNote(EncryptedModel):
    """Practice-level data: encrypted under the practice data key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    body = EncryptedTextField()
