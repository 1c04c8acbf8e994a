"""Practice services: changing the practice's settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import PracticeSettings, User


def _editable_fields() -> frozenset[str]:
    return frozenset(
        field.name
        for field in PracticeSettings._meta.concrete_fields
        if field.editable and not field.primary_key
    )


@transaction.atomic
def practice_settings_update(*, values: Mapping[str, Any], actor: User) -> list[str]:
    """Apply ``values`` (cleaned form data) to the practice's settings; return the names of
    the fields that actually changed, sorted.

    The row is locked while it is compared and written, so two admins saving at once cannot
    each record a change the other overwrote. When something changed, records
    ``practice.settings_changed`` with the changed field *names* only (never the values:
    a contact number or crisis text has no place in the trail). Saving unchanged settings
    writes and records nothing. The caller checks that ``actor`` may manage the settings.
    """
    unknown = set(values) - _editable_fields()
    if unknown:
        raise ValidationError(f"Not practice settings: {sorted(unknown)}")
    PracticeSettings.load()
    practice = PracticeSettings.objects.select_for_update().get(pk=PracticeSettings.SINGLETON_ID)
    changed = sorted(name for name, value in values.items() if getattr(practice, name) != value)
    if not changed:
        return []
    for name in changed:
        setattr(practice, name, values[name])
    practice.full_clean()
    practice.save(update_fields=[*changed, "updated_at"])
    record_event(Action.PRACTICE_SETTINGS_CHANGED, actor=actor, target=practice,
                 detail={"fields": changed})
    return changed
