"""The instruments the project ships, stored as immutable versions, and found again by slug
and version.

As with questionnaires, the file is the source and the database keeps every version ever
used: a check-in or an intake names the version it was answered with, and is read back
against it after the file moves on. Changing a shipped file without a new version number is
refused rather than silently rewriting what old scores meant.

A stored version is looked up (one indexed query) each time it is asked for; its parse is
kept per process (``intake.instrument_sources``). Whether the shipped version is stored is
remembered only once its row is committed, so a rolled-back transaction never leaves a
process believing in a row that is not there.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from intake.canonical import canonical_sha256
from intake.instrument_schema import InstrumentDefinition
from intake.instrument_sources import (
    UnknownInstrument,
    parsed_instrument,
    read_instrument,
    shipped_instrument,
    shipped_path,
    shipped_with_digest,
)
from intake.models import InstrumentVersion
from intake.schema import DefinitionError

# (slug, version, digest) of shipped versions known to be stored and committed.
_stored: set[tuple[str, str, str]] = set()


@transaction.atomic
def install_instrument(path: Path) -> InstrumentVersion:
    """The stored version for the instrument file at ``path``, created the first time. A
    file whose slug and version are already stored with other content is refused."""
    data = read_instrument(path)
    digest = canonical_sha256(data)
    version, created = InstrumentVersion.objects.get_or_create(
        slug=data["slug"], version=data["version"],
        defaults={"definition": data, "sha256": digest},
    )
    if not created and version.sha256 != digest:
        raise DefinitionError(
            f"{path.name}: {data['slug']} version {data['version']} is already in use with "
            "different items or rules. Give the changed file a new version number."
        )
    return version


def current_instrument(slug: str) -> InstrumentDefinition:
    """The shipped version of ``slug``, stored on first use (so that its answers can be
    read back against it after the file changes). ``UnknownInstrument`` for a slug that
    does not ship."""
    definition, digest = shipped_with_digest(slug)
    key = (definition.slug, definition.version, digest)
    if key not in _stored:
        install_instrument(shipped_path(slug))
        transaction.on_commit(lambda: _stored.add(key))
    return definition


def instrument_version(slug: str, version: str) -> InstrumentDefinition:
    """The stored ``version`` of ``slug`` (for reading an old answer against the items and
    bands it was answered with). The shipped version is stored now if it is not yet;
    ``UnknownInstrument`` when neither the database nor the shipped file has it."""
    stored = InstrumentVersion.objects.filter(slug=slug, version=version).first()
    if stored is not None:
        return parsed_instrument(stored.definition)[0]
    try:
        shipped = shipped_instrument(slug)
    except UnknownInstrument:
        shipped = None
    if shipped is None or shipped.version != version:
        raise UnknownInstrument(f"no version {version!r} of instrument {slug!r} is stored")
    return current_instrument(slug)
