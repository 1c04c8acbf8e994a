"""An instrument as its own definition: one source for a scale's items, options, scoring,
bands and safety rules, reused by the intake questionnaires and by check-ins.

An instrument file (``intake/instruments/<slug>.json``) is data, read by
``parse_instrument`` into an ``InstrumentDefinition``, refusing anything malformed with the
place of the problem (``DefinitionError``, as for questionnaires). The format::

    {"slug": "phq9", "version": "1", "title": "PHQ-9", "attribution": "...",
     "interpretation": "",                      (optional: a sentence for staff)
     "prompt": "Over the last 2 weeks, ...",    (the stem; "" when the items stand alone)
     "direction": "higher_is_worse",            (or "higher_is_better")
     "loinc": {"total": "44261-6", "panel": "44249-1"},          (optional)
     "cutoff": {"value": 13.5, "label": "notable relationship distress"},  (optional)
     "change": {"response_drop_percent": 50, "remission_below": 5, "reliable_change": 6},
     "items": [ ...scored questions, exactly as a questionnaire writes them... ],
     "extras": [ ...questions of the published form that are not scored... ],
     "bands": [{"min": 0, "max": 4, "label": "Minimal"}, ...],
     "safety": [{"question": "phq9_9", "in": [1, 2, 3]}],
     "provenance": {"es": "where the Spanish text comes from"}}      (optional)

Texts (title, attribution, interpretation, prompt, the cut-off's label, and the questions'
and bands' texts) may be written per language as a questionnaire writes them
(``{"en": "...", "es": "..."}``, see ``intake.schema``), and a parsed instrument is resolved
for one reader's language (the active one unless told). A translation of a published
instrument is only ever the publisher's official one, word for word; ``provenance`` says,
per language, which document it was taken from and what it was checked against (for the
people who maintain the file; no page shows it).

Items follow the questionnaire's rules for a scale (required, not sensitive, whole-number
answers; bands covering every total once). Every question of an instrument is asked: none
has a condition, and none says who else may read it (a questionnaire's page decides that).
Each question id starts with the slug and an underscore (``phq9_1``), so an instrument's
questions never collide with a questionnaire's own. A safety rule is a condition on the
instrument's own questions. ``change`` holds the defaults a clinician's trend reading starts
from: a response (a drop of at least ``response_drop_percent`` from the first score), a
remission (a score below ``remission_below``) and a reliable change (a change of at least
``reliable_change`` points); response and remission are drops, so only a scale on which
higher is worse may have them.

Why the PHQ-9's difficulty question (``phq9_difficulty``) is an ``extra`` of the PHQ-9: it
is printed on the published PHQ-9 form, right after item 9, and the authors ask it of
anyone who checked off a problem; it is not part of the total. Keeping it in the file keeps
the form whole wherever the PHQ-9 is asked, while ``items`` stays exactly what is summed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from intake.schema import (
    Band,
    Condition,
    DefinitionError,
    Instrument,
    Question,
    parse_condition,
    parse_question,
    parse_scale,
    reader_language,
    written_texts,
)
from intake.schema_classes import (
    DEFAULT_LANGUAGE,
    IDENTIFIER,
    LANGUAGE_TAG,
    Localized,
    Texts,
    resolved,
)
from intake.scoring import any_safety_rule_holds, score

HIGHER_IS_WORSE = "higher_is_worse"
HIGHER_IS_BETTER = "higher_is_better"
DIRECTIONS = (HIGHER_IS_WORSE, HIGHER_IS_BETTER)
# What the stored version and the measures' columns can hold.
SLUG_MAX_LENGTH = 32
VERSION_MAX_LENGTH = 16
# A LOINC code: up to seven digits, a hyphen, a check digit.
_LOINC_CODE = re.compile(r"^[0-9]{1,7}-[0-9]$")
_KEYS = {"slug", "version", "title", "attribution", "interpretation", "prompt", "direction",
         "loinc", "cutoff", "change", "items", "extras", "bands", "safety", "provenance"}
_CHANGE_KEYS = {"response_drop_percent", "remission_below", "reliable_change"}


@dataclass(frozen=True)
class LoincCodes:
    """The LOINC codes of the instrument's total score and of its panel (for FHIR)."""

    total: str
    panel: str


@dataclass(frozen=True)
class Cutoff(Localized):
    """A published clinical cut-off: a total on the wrong side of ``value`` suggests
    ``label`` (on the CSI-4, below 13.5 suggests notable relationship distress)."""

    value: float
    label: str
    texts: Texts = field(default_factory=dict, compare=False, repr=False)
    language: str = field(default=DEFAULT_LANGUAGE, compare=False, repr=False)


@dataclass(frozen=True)
class ChangeRules:
    """Defaults for reading change over time (None: the instrument has no such rule)."""

    response_drop_percent: int | None = None
    remission_below: int | None = None
    reliable_change: int | None = None


class InstrumentScore(NamedTuple):
    total: int
    band: str


@dataclass(frozen=True)
class InstrumentDefinition(Localized):
    """One version of an instrument, parsed. Immutable: the same slug and version always
    mean the same questions, bands and rules (a stored version never changes)."""

    slug: str
    version: str
    title: str
    attribution: str
    prompt: str
    items: tuple[Question, ...]
    extras: tuple[Question, ...]
    bands: tuple[Band, ...]
    direction: str
    change: ChangeRules
    safety: tuple[Condition, ...]
    # The scale as the questionnaire's scoring reads it (``intake.scoring``).
    scale: Instrument
    interpretation: str = ""
    loinc: LoincCodes | None = None
    cutoff: Cutoff | None = None
    # The file's JSON, for expanding a questionnaire's references; never mutated.
    source: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False,
                                      repr=False)
    # The prompt in every language written, and the language the texts were resolved for.
    texts: Texts = field(default_factory=dict, compare=False, repr=False)
    language: str = field(default=DEFAULT_LANGUAGE, compare=False, repr=False)

    @property
    def languages(self) -> frozenset[str]:
        """The languages the whole instrument is written in (the default at least): its
        items', extras' and bands' texts, its title and prompt."""
        every = [obj.languages_of(name)
                 for obj in (self, self.scale, *self.bands, *self.questions,
                             *(option for question in self.questions
                               for option in question.options))
                 for name in obj.texts if obj.languages_of(name)]
        found = frozenset.intersection(*every) if every else frozenset()
        return found | {DEFAULT_LANGUAGE}

    def is_written_in(self, language: str) -> bool:
        """Whether the instrument can be asked in ``language`` (its official translation
        is in the file); otherwise a reader of it is asked in the default language."""
        return language in self.languages

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question the instrument asks, in order: its items, then its extras."""
        return self.items + self.extras

    @property
    def min_total(self) -> int:
        return self.scale.min_total

    @property
    def max_total(self) -> int:
        return self.scale.max_total

    def score(self, answers: Mapping[str, Any]) -> InstrumentScore | None:
        """The total and its band, by the questionnaire's one scoring rule
        (``intake.scoring.score``): None until every item has an answer it can score."""
        result = score(self.scale, answers)
        return None if result is None else InstrumentScore(result.total, result.band)

    def needs_prompt_review(self, answers: Mapping[str, Any]) -> bool:
        """True when one of the instrument's safety rules matches (on the PHQ-9, item 9
        answered above "Not at all"): show the crisis text now and flag for staff."""
        return any_safety_rule_holds(self.safety, answers)


def _require(condition: object, where: str, message: str) -> None:
    if not condition:
        raise DefinitionError(f"{where}: {message}")


def _text(data: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = data.get(key, "")
    _require(isinstance(value, str), "instrument", f"'{key}' must be text")
    _require(bool(value.strip()) or not required, "instrument", f"'{key}' is required")
    return str(value)


def _provenance(raw: Any) -> None:
    _require(raw is None or (isinstance(raw, dict) and all(
        isinstance(language, str) and LANGUAGE_TAG.match(language) and isinstance(text, str)
        and text.strip() for language, text in raw.items())), "provenance",
        "'provenance' maps language tags to where each language's text comes from")


def _questions(raw: Any, key: str, slug: str, *, required: bool,
               language: str = DEFAULT_LANGUAGE) -> tuple[Question, ...]:
    _require(isinstance(raw, list) and (bool(raw) or not required), "instrument",
             f"'{key}' is a {'non-empty ' if required else ''}list of questions")
    questions = []
    for number, data in enumerate(raw):
        where = f"{key}[{number}]"
        _require(isinstance(data, dict), where, "a question is an object")
        _require("condition" not in data, where,
                 "an instrument's questions are always asked (no 'condition')")
        _require("visibility" not in data, where,
                 "a questionnaire's page says who sees an instrument's answers, not the "
                 "instrument ('visibility')")
        question = parse_question(data, where, language)
        _require(question.id.startswith(f"{slug}_"), where,
                 f"question id {question.id!r} must start with '{slug}_'")
        questions.append(question)
    return tuple(questions)


def _loinc(raw: Any) -> LoincCodes | None:
    if raw is None:
        return None
    _require(isinstance(raw, dict) and set(raw) == {"total", "panel"}, "loinc",
             "'loinc' has a 'total' and a 'panel' code")
    for key in ("total", "panel"):
        _require(isinstance(raw[key], str) and bool(_LOINC_CODE.match(raw[key])), "loinc",
                 f"{raw[key]!r} is not a LOINC code (like 44261-6)")
    return LoincCodes(total=raw["total"], panel=raw["panel"])


def _cutoff(raw: Any, scale: Instrument, language: str) -> Cutoff | None:
    if raw is None:
        return None
    _require(isinstance(raw, dict) and set(raw) == {"value", "label"}, "cutoff",
             "'cutoff' has a 'value' and a 'label'")
    value = raw["value"]
    _require(type(value) in (int, float) and scale.min_total < value < scale.max_total,
             "cutoff", f"'value' is a number between {scale.min_total} and {scale.max_total}")
    _require(not isinstance(raw["label"], str) or bool(raw["label"].strip()), "cutoff",
             "'label' says what the cut-off suggests")
    texts = written_texts(raw, "label", "cutoff", required=True)
    return Cutoff(value=float(value), label=resolved(texts, language),
                  texts={"label": texts}, language=language)


def _change(raw: Any, scale: Instrument, direction: str) -> ChangeRules:
    _require(isinstance(raw, dict), "change", "'change' is an object (empty when none)")
    unknown = set(raw) - _CHANGE_KEYS
    _require(not unknown, "change", f"unknown keys {sorted(unknown)}")
    for key, value in raw.items():
        _require(type(value) is int, "change", f"'{key}' is a whole number")
    span = scale.max_total - scale.min_total
    drop = raw.get("response_drop_percent")
    below = raw.get("remission_below")
    reliable = raw.get("reliable_change")
    _require(direction == HIGHER_IS_WORSE or (drop is None and below is None), "change",
             "response and remission are drops: only for a scale where higher is worse")
    _require(drop is None or 1 <= drop <= 100, "change", "'response_drop_percent' is 1 to 100")
    _require(below is None or scale.min_total < below <= scale.max_total, "change",
             f"'remission_below' is a total from {scale.min_total + 1} to {scale.max_total}")
    _require(reliable is None or 1 <= reliable <= span, "change",
             f"'reliable_change' is 1 to {span} points")
    return ChangeRules(response_drop_percent=drop, remission_below=below,
                       reliable_change=reliable)


def parse_instrument(data: Any, language: str | None = None) -> InstrumentDefinition:
    """Read an instrument definition, refusing anything malformed (``DefinitionError``,
    naming where), its texts resolved for a reader of ``language`` (the active language
    when None). The scale is checked by the questionnaire's own rules (``parse_scale``),
    so an instrument scores in a check-in exactly as it does in an intake."""
    language = reader_language(language)
    _require(isinstance(data, dict), "instrument", "the file holds one object")
    unknown = set(data) - _KEYS
    _require(not unknown, "instrument", f"unknown keys {sorted(unknown)}")
    slug = data.get("slug")
    _require(isinstance(slug, str) and bool(IDENTIFIER.match(slug))
             and len(slug) <= SLUG_MAX_LENGTH, "instrument",
             f"'slug' is a lower-case identifier of at most {SLUG_MAX_LENGTH} characters")
    version = _text(data, "version", required=True)
    _require(len(version) <= VERSION_MAX_LENGTH, "instrument",
             f"'version' is at most {VERSION_MAX_LENGTH} characters")
    items = _questions(data.get("items"), "items", slug, required=True, language=language)
    extras = _questions(data.get("extras", []), "extras", slug, required=False,
                        language=language)
    _provenance(data.get("provenance"))
    by_id: dict[str, Question] = {}
    for question in items + extras:
        _require(question.id not in by_id, "instrument",
                 f"question id {question.id!r} is used twice")
        by_id[question.id] = question
    scale_data = {
        "id": slug, "title": data.get("title"), "attribution": data.get("attribution"),
        "interpretation": data.get("interpretation", ""),
        "items": [question.id for question in items], "bands": data.get("bands"),
        "version": version,
    }
    scale = parse_scale(scale_data, "instrument", {q.id: q for q in items}, language)
    direction = data.get("direction")
    _require(direction in DIRECTIONS, "instrument",
             f"'direction' is one of {', '.join(DIRECTIONS)}, not {direction!r}")
    raw_safety = data.get("safety", [])
    _require(isinstance(raw_safety, list), "instrument", "'safety' is a list")
    safety = []
    for number, raw in enumerate(raw_safety):
        _require(raw is not None, f"safety[{number}]", "a safety rule is a condition")
        rule = parse_condition(raw, f"safety[{number}]", by_id)
        if rule is not None:
            safety.append(rule)
    prompt = written_texts(data, "prompt", "instrument")
    return InstrumentDefinition(
        slug=slug,
        version=version,
        title=scale.title,
        attribution=scale.attribution,
        interpretation=scale.interpretation,
        prompt=resolved(prompt, language),
        items=items,
        extras=extras,
        bands=scale.bands,
        direction=str(direction),
        loinc=_loinc(data.get("loinc")),
        cutoff=_cutoff(data.get("cutoff"), scale, language),
        change=_change(data.get("change"), scale, str(direction)),
        safety=tuple(safety),
        scale=scale,
        source=data,
        texts={"prompt": prompt, **scale.texts},
        language=language,
    )
