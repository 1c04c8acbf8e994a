"""The default consent documents the project ships (``consents/documents/``): templates a
practice must review with its own counsel, loaded as documents with a first version.

Each document ships in English and in translation (``documents/<language>/``, with its own
index of titles and summaries), marked for counsel's review like the English. A
translation is its own version of the document, in its language (``ConsentVersion``): a
client who reads that language signs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from consents.models import ConsentDocument, ConsentVersion, Requirement
from consents.placeholders import fill_placeholders
from consents.services import version_publish
from portal.models import PracticeSettings, User

DOCUMENTS_DIR = Path(__file__).resolve().parent / "documents"


def _read_index(directory: Path) -> list[dict[str, Any]]:
    """An index's documents, each with its full text read in (``body``)."""
    index = json.loads((directory / "index.json").read_text(encoding="utf-8"))
    return [{**entry, "body": (directory / entry["file"]).read_text(encoding="utf-8")}
            for entry in index["documents"]]


def shipped_documents(directory: Path = DOCUMENTS_DIR) -> list[dict[str, Any]]:
    """The index with each document's full text read in (``body``), and its translations
    (``translations``: language code to ``title``, ``summary`` and ``body``), read from
    ``<directory>/<language>/index.json`` for each language the portal offers."""
    translated: dict[str, dict[str, dict[str, Any]]] = {}
    for code, _name in settings.LANGUAGES:
        if (directory / code / "index.json").is_file():
            for entry in _read_index(directory / code):
                translated.setdefault(entry["kind"], {})[code] = entry
    return [{**entry, "translations": translated.get(entry["kind"], {})}
            for entry in _read_index(directory)]


def shipped_languages() -> list[str]:
    """Every language the shipped documents come in, the practice's first."""
    found = {settings.LANGUAGE_CODE}
    for entry in shipped_documents():
        found.update(entry["translations"])
    return [code for code, _name in settings.LANGUAGES if code in found]


def _add_version(document: ConsentDocument, text: dict[str, Any], *, language: str,
                 title: str, change_note: str, practice: PracticeSettings, publish: bool,
                 actor: User | None) -> ConsentVersion:
    version = ConsentVersion.objects.create(
        document=document,
        language=language,
        title=title,
        summary=fill_placeholders(text["summary"], practice, language),
        body=fill_placeholders(text["body"], practice, language),
        change_note=change_note,
    )
    if publish:
        version = version_publish(version=version, actor=actor)
    return version


def _texts_in(entry: dict[str, Any], language: str) -> dict[str, Any] | None:
    """The shipped text of ``entry`` in ``language`` (English is the entry itself)."""
    if language == "en":
        return entry
    translated: dict[str, Any] | None = entry["translations"].get(language)
    return translated


@transaction.atomic
def install_default_documents(
    *, publish: bool, actor: User | None = None, languages: Iterable[str] | None = None,
) -> int:
    """Create each shipped document the practice does not have yet, with its template as
    version 1: a draft for the practice to adapt, or published at once (``publish``, for
    demo data). The practice's settings are filled into the template's placeholders
    (``consents.placeholders``); one whose setting is blank stays, so publishing it is
    refused (``PlaceholderError``, and nothing is installed) until the setting is filled.
    Documents the practice already has are left alone. Returns how many were created.

    ``languages``: which of the shipped texts to install, each as its own version, the
    practice's language first (default: the practice's language only; the demo and a new
    practice pass ``shipped_languages()``, and ``install_shipped_translations`` adds the
    translations to documents a practice already has)."""
    practice = PracticeSettings.load()
    wanted = list(dict.fromkeys(languages or [settings.LANGUAGE_CODE]))
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
        for language in wanted:
            text = _texts_in(entry, language)
            if text is None:
                continue
            _add_version(document, text, language=language,
                         title=text["title"] if language != "en" else "",
                         change_note=_first_note(language), practice=practice,
                         publish=publish, actor=actor)
    return created


def _first_note(language: str) -> str:
    """The change note of a shipped text's first version (the practice's records, English
    like the rest of the shipped metadata)."""
    if language == "en":
        return "First version, from the shipped template."
    name = dict(settings.LANGUAGES).get(language, language)
    return f"First version in {name} ({language}), from the shipped template."


@transaction.atomic
def install_shipped_translations(
    *, publish: bool, actor: User | None = None, languages: Iterable[str] | None = None,
) -> int:
    """Add the shipped translation (every shipped language but English, or ``languages``)
    of each shipped document the practice has, where the document has no version in that
    language yet, draft or published: a draft for the practice's counsel to review (or
    published at once with ``publish``, for demo data). Returns how many versions were
    added. Running it again adds nothing."""
    practice = PracticeSettings.load()
    chosen = [code for code in (languages or shipped_languages()) if code != "en"]
    added = 0
    for entry in shipped_documents():
        document = ConsentDocument.objects.filter(kind=entry["kind"]).first()
        if document is None:
            continue
        for language in chosen:
            text = _texts_in(entry, language)
            if text is None or document.versions.filter(language=language).exists():
                continue
            _add_version(document, text, language=language, title=text["title"],
                         change_note=_first_note(language), practice=practice,
                         publish=publish, actor=actor)
            added += 1
    return added
