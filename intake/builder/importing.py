"""A questionnaire brought from elsewhere as a FHIR R4 ``Questionnaire``: a new draft of the
practice's own.

The resource is read by ``intake.builder.fhir_questionnaire.from_fhir`` (which refuses
anything invalid, naming the item); the draft gets a slug of its own, made from the
resource's ``name`` (or title), never one a published version, a draft or a shipped
questionnaire already uses; it is version 1 of that new questionnaire and is based on no
published version. A draft may hold what the portal still refuses to publish (a number
without a range, say): the builder names it, as for any draft.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from intake.builder.drafts import next_version, title_of
from intake.builder.fhir_questionnaire import from_fhir
from intake.definitions import HISTORY_DIR, SHIPPED_DIR
from intake.models import QuestionnaireDraft, QuestionnaireVersion
from intake.schema import DEFAULT_LANGUAGE
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import User

# What the audit trail says a draft imported from FHIR is based on.
IMPORTED_FROM = "fhir-import"
SLUG_LENGTH = 64


def _shipped_slugs() -> set[str]:
    slugs: set[str] = set()
    for path in [*SHIPPED_DIR.glob("*.json"), *HISTORY_DIR.glob("*.json")]:
        try:
            slug = json.loads(path.read_text(encoding="utf-8")).get("slug")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(slug, str):
            slugs.add(slug)
    return slugs


def _taken(slug: str, shipped: set[str]) -> bool:
    return (slug in shipped or QuestionnaireVersion.objects.filter(slug=slug).exists()
            or QuestionnaireDraft.objects.filter(slug=slug).exists())


def import_slug(resource_name: Any, title: Any) -> str:
    """A new slug for an imported questionnaire: its ``name`` (else title) slugified,
    with ``-2``, ``-3``... when taken; ``imported-questionnaire`` when neither gives one."""
    if isinstance(title, dict):
        title = title.get(DEFAULT_LANGUAGE)
    base = ""
    for candidate in (resource_name, title):
        if isinstance(candidate, str):
            # ``DefaultIntake`` -> ``default-intake``; ``My form`` -> ``my-form``
            spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", candidate)
            base = slugify(spaced)[:SLUG_LENGTH - 4].strip("-")
            if base:
                break
    base = base or "imported-questionnaire"
    shipped = _shipped_slugs()
    slug, number = base, 2
    while _taken(slug, shipped):
        slug = f"{base}-{number}"
        number += 1
    return slug


@transaction.atomic
def draft_import(*, resource: Any, actor: User) -> QuestionnaireDraft:
    """A new draft holding the questionnaire ``resource`` (a FHIR R4 ``Questionnaire``,
    parsed JSON) describes, under a new slug of the practice's (``import_slug``), version
    1, based on no published version. Refuses (``FhirImportError``) a resource that is not
    a valid Questionnaire or asks what the portal cannot; nothing is stored then. Audited
    as a draft started from a FHIR import. The caller checks that ``actor`` may manage
    questionnaires."""
    source = from_fhir(resource)
    slug = import_slug(resource.get("name"), source.get("title"))
    source["slug"] = slug
    source["version"] = next_version(slug)
    while True:
        try:
            with transaction.atomic():
                draft = QuestionnaireDraft.objects.create(
                    slug=slug, title=title_of(source), based_on=None, source=source,
                    created_by=actor)
            break
        except IntegrityError:  # the same name imported at the same moment: the next slug
            slug = import_slug(f"{slug}-2", None)
            source["slug"] = slug
    record_event(Action.QUESTIONNAIRE_DRAFT_STARTED, actor=actor, target=draft,
                 detail={"slug": slug, "based_on": IMPORTED_FROM})
    return draft
