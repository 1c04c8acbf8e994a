"""Intake storage. Questionnaire versions are practice data (no personal data), immutable
once stored; client answers (drafts and submissions) come with the intake pages."""

from __future__ import annotations

import uuid
from functools import cached_property
from typing import Any

from django.db import models
from django.utils import timezone

from intake.schema import Questionnaire, parse_definition


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
