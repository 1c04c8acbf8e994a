"""Instrument totals and bands (PHQ-9, GAD-7, CSI-4), and the safety rule that flags an
intake for prompt review. Scores describe symptoms or distress for the clinician; they are
not a diagnosis.

Bands come from the questionnaire definition (Kroenke, Spitzer and Williams 2001 for the
PHQ-9; Spitzer, Kroenke, Williams and Löwe 2006 for the GAD-7; Funk and Rogge 2007 for the
CSI-4, whose items score 0-6 and 0-5 rather than 0-3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from intake.schema import DEFAULT_LANGUAGE, Condition, Instrument, Questionnaire


@dataclass(frozen=True)
class Score:
    instrument: str
    title: str
    total: int
    max_total: int
    band: str


def score(instrument: Instrument, answers: Mapping[str, Any]) -> Score | None:
    """The instrument's total and band, or None until every item is answered (a partial
    sum would understate the score), or when an answer is not a whole number its item can
    score (never a band for a total the scale cannot have).

    The title and band are the definition's default-language words, whatever language the
    instrument was read in: a score is stored as it was worked out, so it must not depend
    on who answered in which language (the same answers, the same stored score). Pages
    show the band in their reader's language from the definition
    (``InstrumentDefinition.band_label``, ``Instrument.band_for``)."""
    values = [answers.get(item) for item in instrument.items]
    numbers = [value for value in values if type(value) is int]  # never a bool or float
    if len(numbers) != len(values):
        return None
    if any(not low <= number <= high
           for number, (low, high) in zip(numbers, instrument.ranges(), strict=True)):
        return None
    total = sum(numbers)
    band = next(b for b in instrument.bands if b.minimum <= total <= b.maximum)
    title = instrument.text_in("title", DEFAULT_LANGUAGE) or instrument.title
    return Score(instrument.id, title, total, instrument.max_total, band.default_label)


def scores(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> list[Score]:
    return [s for s in (score(i, answers) for i in questionnaire.instruments) if s is not None]


def needs_prompt_review(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> bool:
    """True when any safety rule matches (e.g. PHQ-9 item 9 above "Not at all", or a yes to
    current thoughts of ending one's life): show the crisis text now and flag for staff."""
    return any_safety_rule_holds(questionnaire.safety, answers)


def any_safety_rule_holds(rules: Iterable[Condition], answers: Mapping[str, Any]) -> bool:
    """True when one of ``rules`` matches ``answers``: the one test of a safety rule, for a
    whole questionnaire and for one instrument answered in a check-in alike."""
    return any(rule.holds(answers) for rule in rules)
