"""Intake storage. Questionnaire versions are practice data (no personal data), immutable
once stored; a client's intake holds their answers, encrypted under their data key."""

from __future__ import annotations

import uuid
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from intake.schema import Questionnaire, parse_definition
from portal.crypto.fields import EncryptedJSONField, EncryptedTextField
from portal.crypto.models import EncryptedModel


class ImmutableVersionError(Exception):
    """A stored questionnaire version was about to change."""


class QuestionnaireVersion(models.Model):
    """One version of a questionnaire definition, exactly as clients saw it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=64)
    version = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    definition = models.JSONField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="questionnaire_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.slug} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableVersionError("A stored questionnaire version never changes.")
        super().save(*args, **kwargs)

    @cached_property
    def questionnaire(self) -> Questionnaire:
        return parse_definition(self.definition)


# What a staff member did or will do about a safety alert, in a few sentences.
ACKNOWLEDGEMENT_NOTE_MAX_LENGTH = 1000


class IntakeState(models.TextChoices):
    DRAFT = "draft", "In progress"
    SUBMITTED = "submitted", "Submitted"


class Intake(EncryptedModel):
    """One client's intake: a draft they fill in page by page, then a read-only submission.

    Everything the client told us (``answers``), everything derived from it (``scores``)
    and the copy of their details the "About you" page started from (``details_on_file``)
    is encrypted under the client's data key, and so is the note a staff member leaves when
    acknowledging a safety alert (clinical content about the client). Plaintext by design,
    for the workflow: the state, the revision counter, the page reached, timestamps, the
    "needs prompt review" flag (which only says that a safety answer needs a clinician's
    attention), who acknowledged it and who marked the intake reviewed.
    """

    encryption_owner_field = "client"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intakes"
    )
    questionnaire = models.ForeignKey(QuestionnaireVersion, on_delete=models.PROTECT)
    state = models.CharField(max_length=16, choices=IntakeState.choices,
                             default=IntakeState.DRAFT)
    # Bumped by every save: a save based on an older revision (another tab, another device)
    # is refused instead of overwriting newer answers.
    revision = models.PositiveIntegerField(default=0)
    answers = EncryptedJSONField(default=dict, blank=True)
    scores = EncryptedJSONField(null=True, blank=True)
    # The client's details on file (their profile) as last copied into the "About you"
    # answers, by field name: an answer still equal to its copy is one the client has not
    # touched, so sending the intake leaves that detail as the profile holds it. Null until
    # the first copy.
    details_on_file = EncryptedJSONField(null=True, blank=True)
    last_section = models.CharField(max_length=64, blank=True)
    needs_prompt_review = models.BooleanField(default=False)
    # When the flag was first raised (a save or the submission); null on intakes flagged
    # before this column existed.
    prompt_review_raised_at = models.DateTimeField(null=True, blank=True)
    # When the care team (or, with none, the admins) was emailed about the alert: once per
    # alert, on sending or when a flagged draft waited past the practice's setting.
    prompt_review_alerted_at = models.DateTimeField(null=True, blank=True)
    prompt_review_acknowledged_at = models.DateTimeField(null=True, blank=True)
    prompt_review_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # "What you did or will do", typed when acknowledging; null on alerts acknowledged
    # before notes were asked for. These three fields hold the alert's *first*
    # acknowledgement, the one that closed it; every acknowledgement, the first included,
    # is also a ``SafetyAlertAcknowledgement`` row.
    prompt_review_note = EncryptedTextField(
        max_length=ACKNOWLEDGEMENT_NOTE_MAX_LENGTH, null=True, blank=True
    )
    # A staff member has read the submitted intake (separate from the safety alert).
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(state="draft"),
                name="intake_one_draft_per_client",
            ),
        ]

    def __str__(self) -> str:
        return f"intake {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<Intake {self.id} {self.state}>"

    @property
    def is_submitted(self) -> bool:
        return self.state == IntakeState.SUBMITTED


class SafetyAlertAcknowledgement(EncryptedModel):
    """One staff member's acknowledgement of an intake's safety alert, with their note of
    what they did or will do. Every acknowledgement is kept, oldest first: a second
    clinician who also calls the client adds theirs instead of being turned away. The
    intake's ``prompt_review_acknowledged_*`` fields keep the first one, which closes the
    alert.

    The note is clinical content about the client, so it is encrypted under the *client's*
    data key (``encryption_owner_field = "client"``, the intake's client, copied here because
    key owners are found by a direct foreign key): erasing the client shreds it, and
    ``rotate_keys --reencrypt`` re-seals it with the client's other values. Plaintext by
    design: who acknowledged (a staff account; ``SET_NULL`` so deleting a staff account
    keeps the record, while the audit trail keeps the actor's id) and when.
    """

    encryption_owner_field = "client"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    intake = models.ForeignKey(Intake, on_delete=models.CASCADE,
                               related_name="acknowledgements")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
        help_text="The intake's client: whose data key protects the note.",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    # Null only on acknowledgements made before notes were asked for.
    note = EncryptedTextField(max_length=ACKNOWLEDGEMENT_NOTE_MAX_LENGTH, null=True,
                              blank=True)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"acknowledgement {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<SafetyAlertAcknowledgement {self.id}>"

    def clean(self) -> None:
        """The note must be sealed under the key of the client the intake belongs to."""
        if self.intake_id is not None and self.client_id != self.intake.client_id:
            raise ValidationError("An acknowledgement belongs to the intake's client.")
