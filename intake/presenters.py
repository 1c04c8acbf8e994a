"""Answers as people read them: the one place that turns answers into text, for the
review page, the submitted copy, the clinician's view and the PDF alike, and for what a
refused page sent.

Stored answers are ids and values (``"weekday_evenings"``, ``2``, ``"1990-04-21"``); here
they become the labels the client chose from, dates in words and group entries one by one
(each answer's words come from its type, ``intake.question_types``). Unanswered questions
are listed as such, so a reader can tell "skipped" from "no".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from intake.answers import visible
from intake.question_types import question_type
from intake.schema import Question, Questionnaire, Section

NOT_ANSWERED = "Not answered"


@dataclass(frozen=True)
class AnswerRow:
    question_id: str
    label: str
    text: str  # what the client answered, in words ("" when not answered)
    answered: bool
    # For repeating groups: one list of (label, text) pairs per entry.
    entries: tuple[tuple[tuple[str, str], ...], ...] = ()


@dataclass(frozen=True)
class SectionRows:
    section_id: str
    title: str
    rows: tuple[AnswerRow, ...] = field(default_factory=tuple)


def answer_text(question: Question, value: Any) -> str:
    """One stored answer in words (choices by their labels, dates spelled out), as its
    type says it; "" when unanswered."""
    return question_type(question.type).display(question, value)


def _row(question: Question, answers: Mapping[str, Any]) -> AnswerRow:
    value = answers.get(question.id)
    if question_type(question.type).holds_questions:
        entries = tuple(
            tuple((child.label, answer_text(child, entry.get(child.id)) or NOT_ANSWERED)
                  for child in question.questions)
            for entry in (value or [])
        )
        return AnswerRow(question.id, question.label, "", bool(entries), entries)
    text = answer_text(question, value)
    return AnswerRow(question.id, question.label, text, bool(text))


def answer_sections(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> list[SectionRows]:
    """Every shown section with every shown question, answered or not, in order."""
    sections = []
    for section in questionnaire.sections:
        if not visible(section, answers):
            continue
        rows = tuple(_row(question, answers) for question in section.questions
                     if visible(question, answers))
        sections.append(SectionRows(section.id, section.title, rows))
    return sections


def _posted_rows(question: Question, label: str, value: Any) -> list[tuple[str, str]]:
    return [(label, text) for text in question_type(question.type).posted_words(question, value)]


def posted_in_words(section: Section, posted: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What a refused post said, for the person to copy from: labels and their answers in
    words (typed text as typed, choices by their labels), a group entry by entry."""
    rows: list[tuple[str, str]] = []
    for question in section.questions:
        value = posted.get(question.id)
        if not question_type(question.type).holds_questions:
            rows += _posted_rows(question, question.label, value)
            continue
        for number, entry in enumerate(value or [], start=1):
            for child in question.questions:
                rows += _posted_rows(child, f"{question.label}, entry {number}: {child.label}",
                                     entry.get(child.id))
    return rows
