"""Answers checked against their questions, on the server, whatever the browser sent.

``clean_section`` takes what a page (or an autosave) posted for one section and returns the
clean answers and, per question, a message a person understands. A rejected answer is
reported and left out; the caller keeps the answers already saved, so nothing is lost.
Answers to questions hidden by a condition are dropped, so a changed choice leaves no stale
answer behind.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from intake.schema import IN_PERSON, TEXT_TYPES, Question, Questionnaire, Section
from portal.text import visible_length

EARLIEST_DATE = datetime.date(1900, 1, 1)
# Control characters other than tab and newline never belong in an answer.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
UNKNOWN_QUESTION = "unknown"
FREQUENCY_TEXT = frozenset({"0", "1", "2", "3"})


class AnswerError(ValueError):
    """One answer that does not fit its question; the message is for the person."""


@dataclass
class SectionResult:
    answers: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _empty(raw: Any) -> bool:
    """Nothing answered: no value, or text with nothing a reader could see (spaces, control
    characters, zero-width or direction marks alone), which would be stored as a blank. A
    one-item list is read as its item, as ``_one`` reads it."""
    if isinstance(raw, list | tuple) and len(raw) == 1:
        raw = raw[0]
    return raw is None or raw == "" or raw == [] or (
        isinstance(raw, str) and not visible_length(raw)
    )


def _one(raw: Any) -> Any:
    """A single value: the only item of a one-item list (how forms post), else as given."""
    if isinstance(raw, list | tuple):
        if len(raw) != 1:
            raise AnswerError("Please choose one answer.")
        return raw[0]
    return raw


def _text(question: Question, raw: Any) -> str:
    value = _one(raw)
    if not isinstance(value, str):
        raise AnswerError("Please type your answer as text.")
    value = _CONTROL.sub("", value.replace("\r\n", "\n")).strip()
    if question.type == "short_text":
        value = value.replace("\n", " ")
    limit = question.max_length or 0
    if len(value) > limit:
        raise AnswerError(
            f"Please keep this to {limit:,} characters (it is {len(value):,} now)."
        )
    return value


def _choice(question: Question, raw: Any) -> str:
    value = _one(raw)
    if question.sensitive and value == IN_PERSON:
        return IN_PERSON
    if value not in question.option_values():
        raise AnswerError("Please choose one of the options.")
    return value


def _choices(question: Question, raw: Any) -> list[str | int] | str:
    values = list(raw) if isinstance(raw, list | tuple) else [raw]
    if question.sensitive and values == [IN_PERSON]:
        return IN_PERSON
    allowed = question.option_values()
    if any(value not in allowed for value in values) or len(set(values)) != len(values):
        raise AnswerError("Please choose from the options.")
    return [value for value in allowed if value in values]  # in the questionnaire's order


def _frequency(question: Question, raw: Any) -> int:
    value = _one(raw)
    # Only the four values the page posts: ``str.isdigit`` would also let "²" or a
    # 5,000-digit string through to ``int()``, which then raises (a server error).
    if isinstance(value, str) and value.strip() in FREQUENCY_TEXT:
        value = int(value)
    # Whole numbers only: 1.0 == 1 in Python, and a float must not be stored as a score.
    if type(value) is not int or value not in (0, 1, 2, 3):
        raise AnswerError("Please choose how often, from 'Not at all' to 'Nearly every day'.")
    return value


def _date(question: Question, raw: Any) -> str:
    value = _one(raw)
    try:
        day = datetime.date.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None:
        raise AnswerError("Please enter a date, for example 1990-04-21.")
    if day < EARLIEST_DATE:
        raise AnswerError("Please check the year.")
    if question.not_future and day > datetime.date.today():  # noqa: DTZ011 - a calendar day
        raise AnswerError("This date can't be in the future.")
    return day.isoformat()


def _number(question: Question, raw: Any) -> int:
    value = _one(raw)
    text = value.strip() if isinstance(value, str) else value
    try:
        number = int(text) if isinstance(text, str) and re.fullmatch(r"-?\d{1,9}", text) \
            else (text if isinstance(text, int) and not isinstance(text, bool) else None)
    except ValueError:
        number = None
    low, high = question.min_value, question.max_value
    if number is None or not low <= number <= high:  # type: ignore[operator]
        raise AnswerError(f"Please enter a whole number from {low} to {high}.")
    return number


def _group(question: Question, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list | tuple) or not all(isinstance(item, Mapping) for item in raw):
        raise AnswerError("These answers could not be read. Please try again.")
    if len(raw) > (question.max_items or 0):
        raise AnswerError(f"You can add up to {question.max_items} here.")
    items = []
    for number, item in enumerate(raw, start=1):
        unknown = set(item) - {child.id for child in question.questions}
        if unknown:
            raise AnswerError("These answers could not be read. Please try again.")
        clean = {}
        for child in question.questions:
            if _empty(item.get(child.id)):
                continue
            try:
                clean[child.id] = clean_answer(child, item[child.id])
            except AnswerError as error:
                raise AnswerError(f"Entry {number}, {child.label}: {error}") from None
        if clean:
            items.append(clean)
    return items


_CLEANERS = {
    "short_text": _text,
    "long_text": _text,
    "single_choice": _choice,
    "yes_no": _choice,
    "multiple_choice": _choices,
    "frequency": _frequency,
    "date": _date,
    "number": _number,
    "group": _group,
}


def clean_answer(question: Question, raw: Any) -> Any:
    """The stored form of one answer (text, option value, list, 0-3, ISO date, int, or a
    list of group entries), or ``AnswerError`` saying what to change."""
    if question.sensitive and question.type in TEXT_TYPES and _one(raw) == IN_PERSON:
        return IN_PERSON
    return _CLEANERS[question.type](question, raw)


def visible(question_or_section: Question | Section, answers: Mapping[str, Any]) -> bool:
    condition = question_or_section.condition
    return condition is None or condition.holds(answers)


def clean_section(
    questionnaire: Questionnaire,
    section: Section,
    posted: Mapping[str, Any],
    saved: Mapping[str, Any],
) -> SectionResult:
    """Check everything posted for ``section``. ``saved`` is every answer stored so far
    (conditions may look at earlier sections). Unknown question ids are refused as a whole
    (``errors["unknown"]``); each bad answer gets its own message; hidden questions lose
    their answers; empty answers are removed. Required answers are checked at submission
    (``missing_answers``), so a half-finished page can always be saved."""
    result = SectionResult()
    own = {question.id for question in section.questions}
    if set(posted) - own:
        result.errors[UNKNOWN_QUESTION] = (
            "Some answers did not belong to this page and were not saved."
        )
    merged = {key: value for key, value in saved.items() if key not in own}
    for question in section.questions:
        raw = posted.get(question.id)
        if question.id not in posted:
            raw = saved.get(question.id)  # not on this post (autosave of one field)
        if _empty(raw):
            continue
        try:
            merged[question.id] = clean_answer(question, raw)
        except AnswerError as error:
            result.errors[question.id] = str(error)
            if question.id in saved:
                merged[question.id] = saved[question.id]  # keep what was there
    for question in section.questions:
        if question.id in merged and not visible(question, merged):
            del merged[question.id]
    result.answers = {q.id: merged[q.id] for q in section.questions if q.id in merged}
    return result


def missing_answers(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> list[str]:
    """Required questions still unanswered, on sections and questions that are shown."""
    missing = []
    for section in questionnaire.sections:
        if not visible(section, answers):
            continue
        for question in section.questions:
            if question.required and visible(question, answers) and _empty(
                answers.get(question.id)
            ):
                missing.append(question.id)
    return missing


def prune_hidden(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers without those to sections or questions a later change of answer hid
    (in questionnaire order, so a condition sees the already-pruned earlier answers)."""
    kept: dict[str, Any] = {}
    for section in questionnaire.sections:
        if not visible(section, kept):
            continue
        for question in section.questions:
            if question.id in answers and visible(question, kept):
                kept[question.id] = answers[question.id]
    return kept
