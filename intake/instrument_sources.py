"""The instruments the project ships (``intake/instruments/<slug>.json``), read and parsed
without Django (the load-test process reads the questionnaires through them too).

Parsed definitions are immutable, so each process keeps them once parsed, by the digest of
their JSON; nothing else of an instrument is held in memory. Storing versions is
``intake.instrument_store``'s.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from intake.canonical import canonical_sha256
from intake.instrument_schema import InstrumentDefinition, parse_instrument
from intake.schema import DefinitionError
from intake.schema_classes import IDENTIFIER

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"
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


# Parsed definitions by the digest of their JSON: immutable, so parsed once per process.
_parsed: dict[str, InstrumentDefinition] = {}


def parsed_instrument(data: dict[str, Any]) -> tuple[InstrumentDefinition, str]:
    """The parsed definition of ``data`` and its digest. Keyed by digest, not by slug and
    version, so a definition can never be mistaken for another under the same name."""
    digest = canonical_sha256(data)
    if digest not in _parsed:
        _parsed[digest] = parse_instrument(copy.deepcopy(data))
    return _parsed[digest], digest


def shipped_path(slug: str) -> Path:
    """Where the instrument ``slug`` ships; ``UnknownInstrument`` for any other name (a
    slug never reaches the file system unless it is a plain identifier)."""
    if isinstance(slug, str) and IDENTIFIER.match(slug):
        path = INSTRUMENTS_DIR / f"{slug}.json"
        if path.is_file():
            return path
    raise UnknownInstrument(f"no instrument {slug!r} ships (intake/instruments/)")


def shipped_with_digest(slug: str) -> tuple[InstrumentDefinition, str]:
    """The shipped instrument ``slug``, parsed, and the digest of its file's JSON (read
    once per process: the shipped files change only with a new release)."""
    shipped_path(slug)  # refuses anything but the name of a shipped file, hashable or not
    return _read_shipped(slug)


@lru_cache(maxsize=16)
def _read_shipped(slug: str) -> tuple[InstrumentDefinition, str]:
    data = read_instrument(shipped_path(slug))
    if data["slug"] != slug:
        raise DefinitionError(f"{slug}.json: its 'slug' is {data['slug']!r}, not {slug!r}")
    return parsed_instrument(data)


def shipped_instrument(slug: str) -> InstrumentDefinition:
    """The instrument ``slug`` as its shipped file defines it (parsed once per process),
    without touching the database: what a questionnaire's reference expands to."""
    return shipped_with_digest(slug)[0]
