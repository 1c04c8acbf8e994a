"""The instruments the project ships (``intake/instruments/<slug>.json``), read and parsed
without Django (the load-test process reads the questionnaires through them too).

Parsed definitions are immutable, so each process keeps them once parsed, by the digest of
their JSON and the language their texts were resolved for; nothing else of an instrument is
held in memory. Storing versions is ``intake.instrument_store``'s.

Earlier versions of a shipped instrument stay in ``intake/instruments/history/`` as
``<slug>-v<version>.json``, exactly as they shipped: a questionnaire version written with
them refers to them by version (``{"instrument": "phq9", "version": "1"}``), and an answer
given to one reads back against it even where the database never stored it.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from intake.canonical import canonical_sha256
from intake.instrument_schema import InstrumentDefinition, parse_instrument
from intake.schema import DefinitionError, reader_language
from intake.schema_classes import IDENTIFIER

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"
HISTORY_DIR = INSTRUMENTS_DIR / "history"
# The instruments a check-in may ask (a couple's case adds the CSI-4 to the others).
CHECK_IN_INSTRUMENTS = ("phq9", "gad7", "csi4")


class UnknownInstrument(LookupError):
    """No instrument ships under this slug, or no such version is stored."""


def read_instrument(path: Path) -> dict[str, Any]:
    """The instrument file at ``path`` as JSON, refused (``DefinitionError``) when it cannot
    be read or is malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DefinitionError(f"{path.name}: cannot be read as JSON ({error})") from None
    try:
        parse_instrument(data)
    except DefinitionError as error:
        raise DefinitionError(f"{path.name}: {error}") from None
    return data


# Parsed definitions by the digest of their JSON and the language of their texts:
# immutable, so parsed once per process and language.
_parsed: dict[tuple[str, str], InstrumentDefinition] = {}


def parsed_instrument(data: dict[str, Any],
                      language: str | None = None) -> tuple[InstrumentDefinition, str]:
    """The parsed definition of ``data``, its texts for a reader of ``language`` (the
    active language when None), and its digest. Keyed by digest, not by slug and version,
    so a definition can never be mistaken for another under the same name."""
    digest = canonical_sha256(data)
    key = (digest, reader_language(language))
    if key not in _parsed:
        _parsed[key] = parse_instrument(copy.deepcopy(data), key[1])
    return _parsed[key], digest


def shipped_path(slug: str) -> Path:
    """Where the instrument ``slug`` ships; ``UnknownInstrument`` for any other name (a
    slug never reaches the file system unless it is a plain identifier)."""
    if isinstance(slug, str) and IDENTIFIER.match(slug):
        path = INSTRUMENTS_DIR / f"{slug}.json"
        if path.is_file():
            return path
    raise UnknownInstrument(f"no instrument {slug!r} ships (intake/instruments/)")


def shipped_with_digest(slug: str) -> tuple[InstrumentDefinition, str]:
    """The shipped instrument ``slug``, parsed for the active language, and the digest of
    its file's JSON (read once per process: the shipped files change only with a new
    release)."""
    shipped_path(slug)  # refuses anything but the name of a shipped file, hashable or not
    return parsed_instrument(_read_shipped(slug))


@lru_cache(maxsize=16)
def _read_shipped(slug: str) -> dict[str, Any]:
    data = read_instrument(shipped_path(slug))
    if data["slug"] != slug:
        raise DefinitionError(f"{slug}.json: its 'slug' is {data['slug']!r}, not {slug!r}")
    return data


def historic_data(slug: str, version: str) -> dict[str, Any]:
    """The JSON of an earlier shipped ``version`` of ``slug`` (``history/``), as it shipped;
    ``UnknownInstrument`` when there is none. A copy: the caller may keep it."""
    if isinstance(version, str) and IDENTIFIER.match(f"v{version}"):
        shipped_path(slug)  # a slug that ships, so a plain identifier
        path = HISTORY_DIR / f"{slug}-v{version}.json"
        if path.is_file():
            data = _read_historic(path)
            if (data["slug"], data["version"]) == (slug, version):
                return copy.deepcopy(data)
            raise DefinitionError(f"{path.name}: it holds {data['slug']} version "
                                  f"{data['version']}, not {slug} version {version}")
    raise UnknownInstrument(f"no version {version!r} of instrument {slug!r} ships")


@lru_cache(maxsize=16)
def _read_historic(path: Path) -> dict[str, Any]:
    return read_instrument(path)


def instrument_data(slug: str, version: str | None = None) -> dict[str, Any]:
    """The JSON of ``slug`` as shipped: the current file, or its ``version`` (the current
    one or an earlier one kept in ``history/``). ``UnknownInstrument`` for anything else."""
    current = _read_shipped(shipped_path(slug).stem)
    if version is None or version == current["version"]:
        return current
    return historic_data(slug, version)


def shipped_instrument(slug: str, version: str | None = None) -> InstrumentDefinition:
    """The instrument ``slug`` as its shipped file defines it (parsed once per process and
    language), or its earlier ``version``, without touching the database: what a
    questionnaire's reference expands to."""
    return parsed_instrument(instrument_data(slug, version))[0]
