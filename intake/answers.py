"""Answers checked against their questions, on the server, whatever the browser sent.

``clean_section`` takes what a page (or an autosave) posted for one section and returns the
clean answers and, per question, a message a person understands. A rejected answer is
reported and left out; the caller keeps the answers already saved, so nothing is lost.
Answers to questions hidden by a condition are dropped, so a changed choice leaves no stale
answer behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext

from intake.question_types import AnswerError, question_type
from intake.question_types.base import is_unanswered
from intake.schema import Question, Questionnaire, Section

__all__ = [
    "UNKNOWN_QUESTION",
    "AnswerError",
    "SectionResult",
    "clean_answer",
    "clean_section",
    "missing_answers",
    "prune_hidden",
    "visible",
]

UNKNOWN_QUESTION = "unknown"


@dataclass
class SectionResult:
    answers: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def clean_answer(question: Question, raw: Any) -> Any:
    """The stored form of one answer (text, option value, list, 0-3, ISO date, int, or a
    list of group entries, as its type decides), or ``AnswerError`` saying what to change."""
    return question_type(question.type).clean_answer(question, raw)


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
        result.errors[UNKNOWN_QUESTION] = gettext(
            "Some answers did not belong to this page and were not saved."
        )
    merged = {key: value for key, value in saved.items() if key not in own}
    for question in section.questions:
        raw = posted.get(question.id)
        if question.id not in posted:
            raw = saved.get(question.id)  # not on this post (autosave of one field)
        if is_unanswered(raw):
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
            if question.required and visible(question, answers) and is_unanswered(
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
