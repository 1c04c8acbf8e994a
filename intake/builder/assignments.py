"""Which questionnaire each kind of intake starts on.

The practice admin chooses a questionnaire (a slug) per kind (``IntakeKind``); new intakes
of that kind start on its newest version. Without a choice, the shipped questionnaire for
the kind. A questionnaire can only be chosen for the kind its audience fits (a couple's
questionnaire for partners, and so on). An intake keeps the version it started on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from intake.definitions import (
    ADOLESCENT_FILE,
    COUPLE_FILE,
    DEFAULT_FILE,
    FAMILY_FILE,
    install_definition,
)
from intake.models import IntakeKind, QuestionnaireAssignment, QuestionnaireVersion
from intake.schema import INDIVIDUAL
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import User

SHIPPED_FOR_KIND: dict[str, Path] = {
    IntakeKind.INDIVIDUAL: DEFAULT_FILE,
    IntakeKind.PARTNER: COUPLE_FILE,
    IntakeKind.ADULT: FAMILY_FILE,
    IntakeKind.ADOLESCENT: ADOLESCENT_FILE,
}
# The audience (``intake.schema``) a questionnaire must declare to be answered by a kind.
AUDIENCE_FOR_KIND: dict[str, str] = {
    IntakeKind.INDIVIDUAL: INDIVIDUAL,
    IntakeKind.PARTNER: "couple",
    IntakeKind.ADULT: "family",
    IntakeKind.ADOLESCENT: "adolescent",
}


class AssignmentError(ValueError):
    """The questionnaire cannot be chosen for that kind of intake (the message says why)."""


def audience_of(version: QuestionnaireVersion) -> str:
    return str(version.definition.get("audience") or INDIVIDUAL)


def _number_key(number: str) -> tuple[int, str]:
    """Version numbers in publishing order: numbered ones by number (so "10" follows "9")."""
    return (int(number), "") if number.isdigit() else (-1, number)


def newest_version(slug: str) -> QuestionnaireVersion | None:
    """The newest published version of the questionnaire ``slug`` (only its definition is
    read, not every version's)."""
    numbers = list(QuestionnaireVersion.objects.filter(slug=slug).values_list("pk", "version"))
    if not numbers:
        return None
    newest_pk = max(numbers, key=lambda row: _number_key(row[1]))[0]
    return QuestionnaireVersion.objects.get(pk=newest_pk)


def newest_versions() -> list[QuestionnaireVersion]:
    """The newest published version of every questionnaire, by slug: two queries however
    many questionnaires and versions there are."""
    newest: dict[str, tuple[tuple[int, str], Any]] = {}
    for pk, slug, number in QuestionnaireVersion.objects.values_list("pk", "slug", "version"):
        if slug not in newest or _number_key(number) > newest[slug][0]:
            newest[slug] = (_number_key(number), pk)
    found = QuestionnaireVersion.objects.in_bulk([pk for _key, pk in newest.values()])
    return [found[pk] for _slug, (_key, pk) in sorted(newest.items())]


def chosen_slug(kind: str) -> str | None:
    """The questionnaire the practice chose for ``kind``; None: the shipped one."""
    return QuestionnaireAssignment.objects.filter(kind=kind).values_list(
        "slug", flat=True).first()


def version_for(kind: str) -> QuestionnaireVersion:
    """The version a new intake of ``kind`` starts on: the newest of the practice's chosen
    questionnaire, else the shipped one (published the first time it is needed)."""
    slug = chosen_slug(kind)
    if slug is not None:
        chosen = newest_version(slug)
        if chosen is not None:
            return chosen
    return install_definition(SHIPPED_FOR_KIND[kind])


@transaction.atomic
def questionnaire_assign(*, kind: str, slug: str, actor: User) -> QuestionnaireVersion:
    """New intakes of ``kind`` start on the newest version of ``slug`` from now on; audited
    with the previous choice. Refused (``AssignmentError``) for an unpublished
    questionnaire or one whose audience does not fit the kind. The caller checks that
    ``actor`` may manage questionnaires."""
    if kind not in SHIPPED_FOR_KIND:
        raise AssignmentError(f"no such kind of intake: {kind!r}")
    version = newest_version(slug)
    if version is None:
        raise AssignmentError(f"{slug!r} has no published version")
    if audience_of(version) != AUDIENCE_FOR_KIND[kind]:
        raise AssignmentError(
            f"{slug!r} is written for {audience_of(version)!r}, not {AUDIENCE_FOR_KIND[kind]!r}")
    previous = chosen_slug(kind) or version_for_shipped_slug(kind)
    if previous == slug:
        return version
    QuestionnaireAssignment.objects.update_or_create(
        kind=kind, defaults={"slug": slug, "changed_by": actor})
    record_event(Action.QUESTIONNAIRE_ASSIGNED, actor=actor, target=version,
                 detail={"kind": kind, "slug": slug, "previous": previous})
    return version


def version_for_shipped_slug(kind: str) -> str:
    """The slug of the shipped questionnaire for ``kind``."""
    return install_definition(SHIPPED_FOR_KIND[kind]).slug
