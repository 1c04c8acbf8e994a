"""A practice admin's draft of a questionnaire: started from a published version, saved
safely against other tabs, checked, published or discarded.

A draft started from a shipped questionnaire becomes the practice's own questionnaire, with
a slug of its own (``practice_slug``): shipped updates keep their own slugs and numbers, so
they never collide with what the practice wrote, nor replace it. Numbers count up from the
version the draft is based on's questionnaire (``next_version``).
"""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from intake.builder.assignments import (
    AUDIENCE_FOR_KIND,
    SHIPPED_FOR_KIND,
    audience_of,
    newest_version,
    questionnaire_assign,
)
from intake.definitions import shipped_source
from intake.models import QuestionnaireDraft, QuestionnaireVersion, VersionOrigin
from intake.publishing import checked_definition, publish_version
from intake.schema import DEFAULT_LANGUAGE, DefinitionError
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import User

# A practice's copy of a shipped questionnaire ends with this (``default-intake`` becomes
# ``default-intake-practice``).
PRACTICE_SUFFIX = "-practice"


class StaleDraft(Exception):
    """The draft was saved elsewhere (another tab, another admin) since it was read: the
    save is refused, nothing is overwritten."""


class NoSource(Exception):
    """The version has no source to start a draft from (stored before versions kept one,
    and no shipped file matches it)."""


def source_of(version: QuestionnaireVersion) -> dict[str, Any]:
    """What ``version`` was written as: its stored source, or its shipped file's."""
    if isinstance(version.source, dict):
        return copy.deepcopy(version.source)
    found = shipped_source(version.slug, version.version)
    if found is None:
        raise NoSource(f"{version.slug} version {version.version}")
    return found


def practice_slug(version: QuestionnaireVersion) -> str:
    """The slug the practice's next version of ``version``'s questionnaire is published
    under: its own for a practice questionnaire, the practice's copy for a shipped one."""
    if version.origin == VersionOrigin.PRACTICE or version.slug.endswith(PRACTICE_SUFFIX):
        return version.slug
    return f"{version.slug}{PRACTICE_SUFFIX}"[:64]


def next_version(slug: str) -> str:
    """The number the next published version of ``slug`` takes: one more than its newest
    numbered version, "1" for a new questionnaire."""
    newest = newest_version(slug)
    if newest is None or not newest.version.isdigit():
        return "1" if newest is None else f"{newest.version}.1"
    return str(int(newest.version) + 1)


def title_of(source: Any) -> str:
    """The draft's title in the default language, for lists (its slug when unreadable)."""
    title = source.get("title") if isinstance(source, dict) else None
    if isinstance(title, dict):
        title = title.get(DEFAULT_LANGUAGE)
    return str(title or (source.get("slug") if isinstance(source, dict) else "") or "")[:200]


@transaction.atomic
def draft_start(*, version: QuestionnaireVersion, actor: User) -> QuestionnaireDraft:
    """The practice's draft of the next version of ``version``'s questionnaire, started
    from ``version``'s source (or the draft already open for that questionnaire: one at a
    time). Audited with the version it is based on. The caller checks that ``actor`` may
    manage questionnaires."""
    slug = practice_slug(version)
    existing = QuestionnaireDraft.objects.select_for_update().filter(slug=slug).first()
    if existing is not None:
        return existing
    source = source_of(version)
    source["slug"] = slug
    source["version"] = next_version(slug)
    draft = QuestionnaireDraft.objects.create(slug=slug, title=title_of(source),
                                              based_on=version, source=source,
                                              created_by=actor)
    record_event(Action.QUESTIONNAIRE_DRAFT_STARTED, actor=actor, target=draft,
                 detail={"slug": slug, "based_on": f"{version.slug}:{version.version}"})
    return draft


def draft_save(*, draft: QuestionnaireDraft, source: dict[str, Any],
               revision: int) -> QuestionnaireDraft:
    """Replace the draft's source with ``source`` if nobody saved it since ``revision``
    (``StaleDraft`` otherwise); the draft's slug and version number stay the draft's. A
    draft may hold mistakes (``draft_problem`` names the first); publishing refuses them.
    Not audited: a draft is work in progress, its publication is the event."""
    source = copy.deepcopy(source)
    source["slug"] = draft.slug
    source["version"] = draft.source.get("version") or next_version(draft.slug)
    updated = QuestionnaireDraft.objects.filter(pk=draft.pk, revision=revision).update(
        source=source, title=title_of(source), revision=F("revision") + 1,
        updated_at=timezone.now())
    if not updated:
        raise StaleDraft
    draft.refresh_from_db()
    return draft


def draft_problem(draft: QuestionnaireDraft) -> str | None:
    """The first thing in the draft that stops it from being published, as the strict
    parser says it (naming where); None when it could be published."""
    try:
        checked_definition(draft.source)
    except DefinitionError as error:
        return str(error)
    return None


@transaction.atomic
def draft_publish(*, draft: QuestionnaireDraft, actor: User,
                  use_for: tuple[str, ...] = ()) -> QuestionnaireVersion:
    """Publish the draft as an immutable version (``intake.publishing``, audited), delete
    the draft, and make new intakes of each kind in ``use_for`` start on it. Refused
    (``DefinitionError``) while the draft has a problem. Intakes already started keep their
    version. The caller checks that ``actor`` may manage questionnaires."""
    locked = QuestionnaireDraft.objects.select_for_update().get(pk=draft.pk)
    version = publish_version(source=locked.source, origin=VersionOrigin.PRACTICE,
                              actor=actor, based_on=locked.based_on)
    locked.delete()
    for kind in use_for:
        questionnaire_assign(kind=kind, slug=version.slug, actor=actor)
    return version


@transaction.atomic
def draft_discard(*, draft: QuestionnaireDraft, actor: User) -> None:
    """Delete the draft; audited. Nothing published changes."""
    slug = draft.slug
    QuestionnaireDraft.objects.filter(pk=draft.pk).delete()
    record_event(Action.QUESTIONNAIRE_DRAFT_DISCARDED, actor=actor,
                 target=("intake.questionnairedraft", draft.pk), detail={"slug": slug})


def kinds_for(version: QuestionnaireVersion) -> tuple[str, ...]:
    """The kinds of intake whose audience ``version`` fits (what it may be chosen for)."""
    return tuple(kind for kind in SHIPPED_FOR_KIND
                 if AUDIENCE_FOR_KIND[kind] == audience_of(version))

