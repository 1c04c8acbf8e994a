"""Questionnaire definitions the project ships, stored as immutable versions.

The file is the source; the database keeps each version exactly as it was used, so an
intake always reads back against the questions its client saw. Changing a shipped file
without a new version number is refused rather than silently rewriting history.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from intake.canonical import canonical_sha256
from intake.instrument_references import expand_instrument_references
from intake.models import QuestionnaireVersion
from intake.schema import DEFAULT_LANGUAGE, DefinitionError, parse_definition

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
]


def read_definition(path: Path = DEFAULT_FILE) -> dict[str, Any]:
    """The questionnaire at ``path``, self-contained: its references to instruments
    (``{"instrument": "phq9"}``, ``{"ref": "phq9"}``) replaced by the shipped instruments'
    questions, scales and safety rules (``intake.instrument_references``), then checked.
    This is what is stored and hashed as a version."""
    try:
        source = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DefinitionError(f"{path.name}: cannot be read as JSON ({error})") from None
    data = expand_instrument_references(source)
    parse_definition(data)  # refuses a malformed file before anything is stored
    return data


@transaction.atomic
def install_definition(path: Path = DEFAULT_FILE) -> QuestionnaireVersion:
    """The stored version for the file at ``path``, created the first time. A file whose
    slug and version are already stored with other content is refused."""
    data = read_definition(path)
    digest = canonical_sha256(data)
    # The title column names the version for lists and the admin: the default language's.
    title = parse_definition(data, DEFAULT_LANGUAGE).title
    version, created = QuestionnaireVersion.objects.get_or_create(
        slug=data["slug"],
        version=data["version"],
        defaults={"title": title, "definition": data, "sha256": digest},
    )
    if not created and version.sha256 != digest:
        raise DefinitionError(
            f"{path.name}: {data['slug']} version {data['version']} is already in use with "
            "different questions. Give the changed file a new version number."
        )
    return version
