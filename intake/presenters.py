"""Answers as people read them: the one place that turns stored answers into text, for the
review page, the submitted copy, the clinician's view and the PDF alike.

Stored answers are ids and values (``"weekday_evenings"``, ``2``, ``"1990-04-21"``); here
they become the labels the client chose from, dates in words and group entries one by one.
Unanswered questions are listed as such, so a reader can tell "skipped" from "no".
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from intake.answers import visible
from intake.schema import IN_PERSON, IN_PERSON_LABEL, Question, Questionnaire
from portal.formatting import format_day

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


def _date_text(value: str) -> str:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return value
    return format_day(day)


def answer_text(question: Question, value: Any) -> str:
    """One stored answer in words (choices by their labels, dates spelled out)."""
    if value is None or value == "" or value == []:
        return ""
    if value == IN_PERSON and question.sensitive:
        return IN_PERSON_LABEL
    labels = {option.value: option.label for option in question.options}
    if question.type in ("single_choice", "yes_no", "frequency"):
        return labels.get(value, str(value))
    if question.type == "multiple_choice":
        return "; ".join(labels.get(item, str(item)) for item in value)
    if question.type == "date":
        return _date_text(value)
    return str(value)


def _row(question: Question, answers: Mapping[str, Any]) -> AnswerRow:
    value = answers.get(question.id)
    if question.type == "group":
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
