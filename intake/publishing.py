"""The one path by which a questionnaire version comes to exist: ``publish_version``.

The shipped questionnaires (``intake.definitions.install_definition``) and a practice
admin's drafts (``intake.builder.drafts.draft_publish``) both go through it: the source is
expanded (instrument blocks written out), checked by the strict parser in every offered
language, hashed and stored, immutable; publishing is recorded in the audit trail.
"""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.db import transaction

from intake.canonical import canonical_sha256
from intake.instrument_references import expand_instrument_references
from intake.models import QuestionnaireVersion, VersionOrigin
from intake.schema import DEFAULT_LANGUAGE, DefinitionError, parse_definition
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import User


def checked_definition(source: Any) -> dict[str, Any]:
    """``source`` (a questionnaire as written: instrument blocks as references) expanded
    and checked by the strict parser, in every language the portal offers. Refuses
    (``DefinitionError``, naming where and what) anything clients could not be asked."""
    data = expand_instrument_references(source)
    for code, _name in settings.LANGUAGES:
        parse_definition(data, code)
    if not isinstance(data, dict):  # the parser has refused it already; for the type
        raise DefinitionError("a questionnaire is a JSON object")
    return data


@transaction.atomic
def publish_version(*, source: Any, origin: str, actor: User | None,
                    based_on: QuestionnaireVersion | None = None,
                    where: str = "") -> QuestionnaireVersion:
    """Store ``source`` as the immutable version its ``slug`` and ``version`` name, and
    record ``questionnaire.published``. Publishing the same content again returns the
    stored version and records nothing; other content under a stored slug and version is
    refused (``DefinitionError``, prefixed with ``where``, e.g. a file's name)."""
    data = checked_definition(source)
    digest = canonical_sha256(data)
    existing = QuestionnaireVersion.objects.filter(slug=data["slug"],
                                                   version=data["version"]).first()
    if existing is not None:
        if existing.sha256 != digest:
            raise DefinitionError(
                f"{where}{': ' if where else ''}{data['slug']} version {data['version']} is "
                "already in use with different questions. Give the changed questionnaire a "
                "new version number.")
        return existing
    version = QuestionnaireVersion.objects.create(
        slug=data["slug"], version=data["version"],
        # The title column names the version for lists: the default language's.
        title=parse_definition(data, DEFAULT_LANGUAGE).title,
        definition=data, sha256=digest, source=copy.deepcopy(source), origin=origin,
        based_on=based_on, published_by=actor,
    )
    record_event(Action.QUESTIONNAIRE_PUBLISHED, actor=actor, target=version,
                 detail={"slug": version.slug, "version": version.version,
                         "origin": VersionOrigin(origin).value})
    return version
