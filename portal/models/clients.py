"""A client's details and care team: platform tables, because access (who may open a
client) and the key owner (whose data key seals a value) are decided from them."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from portal.crypto.blind_index import BlindIndexField, blind_tokens, name_tokens
from portal.crypto.errors import KeyDestroyedError
from portal.crypto.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedTextField,
)
from portal.crypto.models import EncryptedModel
from portal.models.accounts import User


class ClientProfile(EncryptedModel):
    """Who a client is, in their own words. Everything they tell us here is encrypted under
    their own data key; the blind indexes let staff search by legal name, date of birth and
    phone without decrypting every row (see portal.crypto.blind_index)."""

    encryption_owner_field = "user"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="client_profile")
    legal_name = EncryptedCharField(max_length=200, null=True, blank=True)
    preferred_name = EncryptedCharField(max_length=100, null=True, blank=True)
    pronouns = EncryptedCharField(max_length=60, null=True, blank=True)
    date_of_birth = EncryptedDateField(null=True, blank=True)
    phone = EncryptedCharField(max_length=40, null=True, blank=True)
    address = EncryptedTextField(max_length=500, null=True, blank=True)
    emergency_contact_name = EncryptedCharField(max_length=200, null=True, blank=True)
    emergency_contact_phone = EncryptedCharField(max_length=40, null=True, blank=True)
    legal_name_bidx = BlindIndexField(source="legal_name", kind="name")
    date_of_birth_bidx = BlindIndexField(source="date_of_birth", kind="date")
    phone_bidx = BlindIndexField(source="phone", kind="phone")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"client profile {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<ClientProfile {self.id}>"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, and keep the legal name's word index (``ClientNameToken``) in step in the
        same transaction, unless ``update_fields`` leaves the legal name out."""
        update_fields = kwargs.get("update_fields")
        with transaction.atomic():
            adding = self._state.adding
            super().save(*args, **kwargs)
            if update_fields is None or "legal_name" in update_fields:
                ClientNameToken.sync_for(self, adding=adding)

    @classmethod
    def rebuild_blind_tokens(cls, rows: list[ClientProfile]) -> None:
        """Called by ``rebuild_blind_indexes`` for each batch (inside its key scope)."""
        ClientNameToken.replace_for(rows)


class ClientNameToken(models.Model):
    """One word of a client's legal name, as a blind index: staff find a client by a family
    or first name alone (``clients.search.client_search``) without decrypting anyone.

    ``token`` is the first 16 bits, in hex, of an HMAC-SHA256 of the normalised word
    (``name_tokens``: case, accents and punctuation dropped) under a key of its own, derived
    from ``PORTAL_BLIND_INDEX_KEY``; the word itself is never stored. A match is only a
    candidate: the search decrypts the candidate's legal name and compares it with what was
    typed. What the rows reveal to someone holding the database: how many words a client's
    name has (one row each) and which clients share a word bucket, e.g. a family name
    (docs/key-management.md). Written whenever the profile's legal name is saved, rebuilt by
    ``rebuild_blind_indexes``, deleted with the profile and by ``client_erase``.
    """

    INDEX_NAME = "portal.clientprofile.legal_name.tokens"
    BITS = 16

    profile = models.ForeignKey(ClientProfile, on_delete=models.CASCADE,
                                related_name="name_tokens")
    token = models.CharField(max_length=BITS // 4, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "token"], name="client_name_token_once"),
        ]
        # A search reads token -> profile only: the index answers it on its own.
        indexes = [models.Index(fields=["token", "profile"], name="client_name_token_lookup")]

    def __str__(self) -> str:
        return f"name token {self.pk}"

    @classmethod
    def digests(cls, tokens: set[str]) -> set[str]:
        """The stored form of normalised name words (``name_tokens``/``search_tokens``)."""
        return blind_tokens(cls.INDEX_NAME, tokens, cls.BITS)

    @classmethod
    def _digests_of(cls, profile: ClientProfile) -> set[str]:
        """The digests ``profile``'s legal name should have; none for an erased client
        (their key is gone, and their indexes must be too) or an empty name."""
        try:
            legal_name = profile.legal_name
        except KeyDestroyedError:
            return set()
        return cls.digests(name_tokens(legal_name)) if legal_name else set()

    @classmethod
    def sync_for(cls, profile: ClientProfile, *, adding: bool = False) -> None:
        """Make ``profile``'s rows match its legal name: nothing written when they already
        do (one read), the old rows replaced when it changed (a rename no longer finds
        the client by the old name)."""
        wanted = cls._digests_of(profile)
        rows = cls.objects.filter(profile=profile)
        if not adding:
            if set(rows.values_list("token", flat=True)) == wanted:
                return
            rows.delete()
        ClientNameToken.objects.bulk_create(
            [cls(profile=profile, token=token) for token in sorted(wanted)]
        )

    @classmethod
    def replace_for(cls, profiles: list[ClientProfile]) -> int:
        """Rewrite the rows of a batch of profiles (a rebuild after a key or normaliser
        change): two queries for the batch. Returns the number of rows written."""
        rows = [cls(profile=profile, token=token)
                for profile in profiles for token in sorted(cls._digests_of(profile))]
        cls.objects.filter(profile__in=[profile.pk for profile in profiles]).delete()
        ClientNameToken.objects.bulk_create(rows)
        return len(rows)



class CareAssignment(models.Model):
    """A clinician on a client's care team. Being assigned is what lets a clinician open
    the client's record (and see its audit events); practice admins see every client."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(User, on_delete=models.CASCADE, related_name="care_team_links")
    clinician = models.ForeignKey(User, on_delete=models.CASCADE, related_name="caseload_links")
    assigned_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "clinician"], name="care_assignment_once"),
        ]

    def __str__(self) -> str:
        return f"care assignment {self.id.hex[:8]}"
