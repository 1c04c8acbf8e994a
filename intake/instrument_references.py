"""A questionnaire's source file refers to the instruments it asks instead of repeating them.

Three places of a source file name an instrument by its slug:

- in a section's ``questions``, ``{"instrument": "phq9"}`` stands for the instrument's
  questions, its items then its extras, exactly as the instrument file writes them;
- in ``instruments``, ``{"ref": "phq9"}`` stands for its scale: id, title, attribution,
  interpretation (when it has one), the ids of its items, and its bands;
- the instrument's safety rules come first in the questionnaire's ``safety``, in the order
  of ``instruments``, before the questionnaire's own.

``expand_instrument_references`` replaces them, so what is stored and hashed as a
questionnaire version is the self-contained definition, as if written out by hand (the
shipped questionnaires' version 1, kept in ``intake/questionnaires/history/``, expand to
exactly what version 1 stored).

A reference may name an earlier version of the instrument (``{"instrument": "phq9",
"version": "1"}``, ``{"ref": "phq9", "version": "1"}``; both the same version), kept in
``intake/instruments/history/``: so an earlier questionnaire version still expands exactly
as it did. A scale expanded from any version but 1 says its version (``"version": "2"``),
so a score names the instrument version it was given to; version 1 was stored without
it, and a scale without one is version 1. A reference is to the
shipped instrument file: changing an instrument changes every questionnaire that asks it,
and installing such a questionnaire under its old version number is refused (its digest
changed), which is the reminder to give it a new one.

An instrument whose questions are asked is scored, and an instrument scored is asked: a
PHQ-9 asked without its scale would lose its item 9 safety rule, so each needs the other.
A shipped instrument may not be written out inline in a source file (one source only).
"""

from __future__ import annotations

import copy
from typing import Any

from intake.instrument_schema import InstrumentDefinition
from intake.instrument_sources import UnknownInstrument, shipped_instrument
from intake.schema import DefinitionError


def _require(condition: object, where: str, message: str) -> None:
    if not condition:
        raise DefinitionError(f"{where}: {message}")


def _referenced(data: Any, key: str, where: str) -> InstrumentDefinition:
    _require(isinstance(data, dict) and set(data) in ({key}, {key, "version"}), where,
             f"a reference to an instrument is {{\"{key}\": slug}}, with perhaps its "
             "\"version\", and nothing else")
    version = data.get("version")
    _require(version is None or isinstance(version, str), where, "'version' is text")
    try:
        return shipped_instrument(data[key], version)
    except UnknownInstrument:
        raise DefinitionError(
            f"{where}: no instrument {data[key]!r}"
            f"{f' version {version}' if version else ''} ships (intake/instruments/)"
        ) from None


def _scale_entry(instrument: InstrumentDefinition) -> dict[str, Any]:
    source = instrument.source
    entry: dict[str, Any] = {"id": instrument.slug, "title": source["title"],
                             "attribution": source["attribution"]}
    if "interpretation" in source:
        entry["interpretation"] = source["interpretation"]
    entry["items"] = [question["id"] for question in source["items"]]
    entry["bands"] = copy.deepcopy(source["bands"])
    if instrument.version != "1":
        entry["version"] = instrument.version
    return entry


def _is_shipped(slug: Any) -> bool:
    try:
        shipped_instrument(slug)
    except UnknownInstrument:
        return False
    return True


def expand_instrument_references(data: Any) -> Any:
    """``data`` (a questionnaire source file) with its instrument references replaced by
    what they stand for; ``data`` itself is left as it was. Anything that is not a
    reference is copied as it is, for ``parse_definition`` to judge. Refuses
    (``DefinitionError``, naming where) an unknown instrument, one asked twice, asked but
    not scored or scored but not asked, written out inline, or a safety rule of the
    questionnaire's that its instrument already brings."""
    if not isinstance(data, dict):
        return data
    expanded = copy.deepcopy(data)
    asked: dict[str, str] = {}  # slug -> where its questions are asked
    versions: dict[str, str] = {}  # slug -> the version asked
    for number, section in enumerate(expanded.get("sections") or []):
        if not isinstance(section, dict) or not isinstance(section.get("questions"), list):
            continue
        questions: list[Any] = []
        for index, question in enumerate(section["questions"]):
            where = f"sections[{number}].questions[{index}]"
            if not (isinstance(question, dict) and "instrument" in question):
                questions.append(question)
                continue
            instrument = _referenced(question, "instrument", where)
            _require(instrument.slug not in asked, where,
                     f"instrument {instrument.slug!r} is already asked at "
                     f"{asked.get(instrument.slug)}")
            asked[instrument.slug] = where
            versions[instrument.slug] = instrument.version
            source = instrument.source
            questions += copy.deepcopy([*source["items"], *source.get("extras", [])])
        section["questions"] = questions
    scored: list[InstrumentDefinition] = []
    raw_instruments = expanded.get("instruments")
    if isinstance(raw_instruments, list):
        entries: list[Any] = []
        for number, entry in enumerate(raw_instruments):
            where = f"instruments[{number}]"
            if isinstance(entry, dict) and "ref" in entry:
                instrument = _referenced(entry, "ref", where)
                _require(instrument.slug in asked, where,
                         f"instrument {instrument.slug!r} is scored but no section asks it: "
                         f"add {{\"instrument\": \"{instrument.slug}\"}} to a section's "
                         "questions")
                _require(all(other.slug != instrument.slug for other in scored), where,
                         f"instrument {instrument.slug!r} is listed twice")
                _require(instrument.version == versions[instrument.slug], where,
                         f"instrument {instrument.slug!r} is asked in version "
                         f"{versions[instrument.slug]} but scored in version "
                         f"{instrument.version}")
                scored.append(instrument)
                entries.append(_scale_entry(instrument))
                continue
            if isinstance(entry, dict) and _is_shipped(entry.get("id")):
                slug = entry["id"]
                raise DefinitionError(
                    f"{where}: {slug!r} ships as its own definition (intake/instruments/): "
                    f"refer to it as {{\"ref\": \"{slug}\"}}")
            entries.append(entry)
        expanded["instruments"] = entries
    for slug, where in asked.items():
        _require(any(instrument.slug == slug for instrument in scored), where,
                 f"instrument {slug!r} is asked but not scored: add {{\"ref\": \"{slug}\"}} "
                 "to 'instruments' (its scale and safety rules go with its questions)")
    brought = [copy.deepcopy(rule) for instrument in scored
               for rule in instrument.source.get("safety", [])]
    if brought:
        own = expanded.get("safety", [])
        if isinstance(own, list):
            for number, rule in enumerate(own):
                _require(rule not in brought, f"safety[{number}]",
                         "this rule comes with its instrument already; remove it here")
            expanded["safety"] = [*brought, *own]
    return expanded
