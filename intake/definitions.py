"""Questionnaire definitions the project ships, stored as immutable versions.

The file is the source; the database keeps each version exactly as it was used, so an
intake always reads back against the questions its client saw. Changing a shipped file
without a new version number is refused rather than silently rewriting history.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from intake.canonical import canonical_sha256
from intake.instrument_references import expand_instrument_references
from intake.models import QuestionnaireVersion, VersionOrigin
from intake.publishing import publish_version
from intake.schema import DefinitionError, parse_definition

SHIPPED_DIR = Path(__file__).resolve().parent / "questionnaires"
# Earlier versions of the shipped questionnaires, exactly as they shipped (their
# references name the instrument versions they were written with): ``<name>-v<n>.json``.
HISTORY_DIR = SHIPPED_DIR / "history"
DEFAULT_FILE = SHIPPED_DIR / "default.json"
# The couple's intake (audience "couple"): each partner fills in their own, with pages
# shared with the partner or private to them and their care team.
COUPLE_FILE = SHIPPED_DIR / "couple.json"
# The family's intake (audience "family"): each adult of a family case fills in their own;
# shared pages are read by the other adults, private ones by them and their care team only.
FAMILY_FILE = SHIPPED_DIR / "family.json"
# A young person's own intake (audience "adolescent", ages 12 to 17 with their own account):
# shared pages are read by their parents or guardians, private ones by them and their care
# team only.
ADOLESCENT_FILE = SHIPPED_DIR / "adolescent.json"


__all__ = [
    "ADOLESCENT_FILE",
    "COUPLE_FILE",
    "DEFAULT_FILE",
    "FAMILY_FILE",
    "HISTORY_DIR",
    "SHIPPED_DIR",
    "canonical_sha256",
    "install_definition",
    "read_definition",
    "read_source",
    "shipped_source",
]


def read_definition(path: Path = DEFAULT_FILE) -> dict[str, Any]:
    """The questionnaire at ``path``, self-contained: its references to instruments
    (``{"instrument": "phq9"}``, ``{"ref": "phq9"}``) replaced by the shipped instruments'
    questions, scales and safety rules (``intake.instrument_references``), then checked.
    This is what is stored and hashed as a version."""
    data = expand_instrument_references(read_source(path))
    parse_definition(data)  # refuses a malformed file before anything is stored
    return data


def install_definition(path: Path = DEFAULT_FILE) -> QuestionnaireVersion:
    """The stored version for the shipped file at ``path``, published the first time
    through the same path as a practice's drafts (``intake.publishing.publish_version``).
    A file whose slug and version are already stored with other content is refused.

    The first clients of a new database can all get here at once: one publishes, and the
    others, whose insert then loses to it (the unique slug and version), return what it
    stored instead of failing."""
    existing = _stored_as_shipped(path)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return publish_version(source=read_source(path), origin=VersionOrigin.SHIPPED,
                                   actor=None, where=path.name)
    except IntegrityError:
        stored = _stored_as_shipped(path)
        if stored is None:
            raise
        return stored


def _stored_as_shipped(path: Path) -> QuestionnaireVersion | None:
    """The stored version of the file at ``path`` when its content is the file's (the
    common case, answered without publishing anything). Every new draft asks, so what the
    file says is worked out once per process for each state of the file
    (``_shipped_identity``, keyed by its size and modification time)."""
    stat = path.stat() if path.exists() else None
    if stat is None:
        read_source(path)  # says why it cannot be read
        return None
    identity = _shipped_identity(str(path), stat.st_mtime_ns, stat.st_size)
    if identity is None:
        return None
    slug, version = identity
    stored = QuestionnaireVersion.objects.filter(slug=slug, version=version).first()
    if stored is None or stored.sha256 != _shipped_sha256(str(path), stat.st_mtime_ns,
                                                          stat.st_size):
        return None
    return stored


@lru_cache(maxsize=32)
def _shipped_identity(path: str, mtime_ns: int, size: int) -> tuple[Any, Any] | None:
    """(slug, version) the file at ``path`` names, in this state of the file; None when it
    is not a questionnaire object."""
    source = read_source(Path(path))
    if not isinstance(source, dict):
        return None
    return source.get("slug"), source.get("version")


@lru_cache(maxsize=32)
def _shipped_sha256(path: str, mtime_ns: int, size: int) -> str:
    """The canonical hash of the file's self-contained definition (``read_definition``), in
    this state of the file (a deployment that changes a shipped instrument restarts the
    process, which forgets it)."""
    return canonical_sha256(read_definition(Path(path)))


def read_source(path: Path) -> Any:
    """The questionnaire file at ``path`` as written (instrument blocks as references)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DefinitionError(f"{path.name}: cannot be read as JSON ({error})") from None


def shipped_source(slug: str, version: str) -> dict[str, Any] | None:
    """The source of a shipped questionnaire version (its file, current or in
    ``history/``), for a version stored before versions kept their source; None when no
    shipped file is that slug and version."""
    for path in [*sorted(SHIPPED_DIR.glob("*.json")), *sorted(HISTORY_DIR.glob("*.json"))]:
        source = read_source(path)
        if isinstance(source, dict) and (source.get("slug"), source.get("version")) == (
                slug, version):
            return source
    return None
