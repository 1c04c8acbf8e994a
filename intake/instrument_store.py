"""The instruments the project ships, stored as immutable versions, and found again by slug
and version.

As with questionnaires, the file is the source and the database keeps every version ever
used: a check-in or an intake names the version it was answered with, and is read back
against it after the file moves on. Changing a shipped file without a new version number is
refused rather than silently rewriting what old scores meant.

A stored version is looked up (one indexed query) each time it is asked for, the current
one included, so no process ever believes in a row that a rolled-back transaction took
away; only its parse is kept per process (``intake.instrument_sources``).
"""

from __future__ import annotations

import copy
from pathlib import Path

from django.db import transaction

from intake.instrument_schema import InstrumentDefinition
from intake.instrument_sources import (
    UnknownInstrument,
    historic_data,
    parsed_instrument,
    read_instrument,
    shipped_instrument,
    shipped_with_digest,
)
from intake.models import InstrumentVersion
from intake.schema import DefinitionError


def _store(definition: InstrumentDefinition, digest: str, name: str) -> InstrumentVersion:
    """The stored row for ``definition``, created the first time; refused when its slug
    and version are stored with other content (``name`` says which file)."""
    version, created = InstrumentVersion.objects.get_or_create(
        slug=definition.slug, version=definition.version,
        defaults={"definition": copy.deepcopy(dict(definition.source)), "sha256": digest},
    )
    if not created and version.sha256 != digest:
        raise DefinitionError(
            f"{name}: {definition.slug} version {definition.version} is already in use with "
            "different items or rules. Give the changed file a new version number."
        )
    return version


@transaction.atomic
def install_instrument(path: Path) -> InstrumentVersion:
    """The stored version for the instrument file at ``path``, created the first time. A
    file whose slug and version are already stored with other content is refused."""
    definition, digest = parsed_instrument(read_instrument(path))
    return _store(definition, digest, path.name)


@transaction.atomic
def current_instrument(slug: str) -> InstrumentDefinition:
    """The shipped version of ``slug``, stored on first use (so that its answers can be
    read back against it after the file changes): one indexed query once stored, which
    also refuses a shipped file changed under a stored version number.
    ``UnknownInstrument`` for a slug that does not ship."""
    definition, digest = shipped_with_digest(slug)
    _store(definition, digest, f"{slug}.json")
    return definition


def instrument_version(slug: str, version: str) -> InstrumentDefinition:
    """The stored ``version`` of ``slug`` (for reading an old answer against the items and
    bands it was answered with), its texts in the active language. A version that ships
    (the current file, or an earlier one kept in ``history/``) is stored now if it is not
    yet; ``UnknownInstrument`` when neither the database nor the shipped files have it."""
    stored = InstrumentVersion.objects.filter(slug=slug, version=version).first()
    if stored is not None:
        return parsed_instrument(stored.definition)[0]
    try:
        shipped = shipped_instrument(slug)
    except UnknownInstrument:
        shipped = None
    if shipped is None:
        raise UnknownInstrument(f"no version {version!r} of instrument {slug!r} is stored")
    if shipped.version == version:
        return current_instrument(slug)
    try:
        data = historic_data(slug, version)
    except UnknownInstrument:
        raise UnknownInstrument(
            f"no version {version!r} of instrument {slug!r} is stored") from None
    with transaction.atomic():
        definition, digest = parsed_instrument(data)
        _store(definition, digest, f"{slug}-v{version}.json")
    return definition
