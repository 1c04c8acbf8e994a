"""The default consent documents the project ships (``consents/documents/``): templates a
practice must review with its own counsel, loaded as documents with a first version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from consents.models import ConsentDocument, ConsentVersion, Requirement
from consents.placeholders import fill_placeholders
from consents.services import version_publish
from portal.models import PracticeSettings, User

DOCUMENTS_DIR = Path(__file__).resolve().parent / "documents"


def shipped_documents(directory: Path = DOCUMENTS_DIR) -> list[dict[str, Any]]:
    """The index with each document's full text read in (``body``)."""
    index = json.loads((directory / "index.json").read_text(encoding="utf-8"))
    documents = []
    for entry in index["documents"]:
        body = (directory / entry["file"]).read_text(encoding="utf-8")
        documents.append({**entry, "body": body})
    return documents


@transaction.atomic
def install_default_documents(*, publish: bool, actor: User | None = None) -> int:
    """Create each shipped document the practice does not have yet, with its template as
    version 1: a draft for the practice to adapt, or published at once (``publish``, for
    demo data). The practice's settings are filled into the template's placeholders
    (``consents.placeholders``); one whose setting is blank stays, so publishing it is
    refused (``PlaceholderError``, and nothing is installed) until the setting is filled.
    Documents the practice already has are left alone. Returns how many were created."""
    practice = PracticeSettings.load()
    created = 0
    for position, entry in enumerate(shipped_documents()):
        document, new = ConsentDocument.objects.get_or_create(
            kind=entry["kind"],
            defaults={"title": entry["title"], "position": position,
                      "requirement": Requirement(entry["requirement"])},
        )
        if not new:
            continue
        created += 1
        version = ConsentVersion.objects.create(
            document=document,
            summary=fill_placeholders(entry["summary"], practice),
            body=fill_placeholders(entry["body"], practice),
            change_note="First version, from the shipped template.",
        )
        if publish:
            version_publish(version=version, actor=actor)
    return created
