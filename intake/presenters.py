"""Answers as people read them: the one place that turns answers into text, for the
review page, the submitted copy, the clinician's view and the PDF alike, and for what a
refused page sent.

Stored answers are ids and values (``"weekday_evenings"``, ``2``, ``"1990-04-21"``); here
they become the labels the client chose from, dates in words and group entries one by one
(each answer's words come from its type, ``intake.question_types``). Unanswered questions
are listed as such, so a reader can tell "skipped" from "no".

On a questionnaire shared between people (a couple's), each section and answer also
carries who else will see it (``intake.visibility``'s words), for the client's own section
and review pages to say so; on an individual questionnaire there is nothing to say (None).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, gettext_noop

from intake.answers import visible
from intake.question_types import question_type
from intake.schema import IN_PERSON, SHARED, Question, Questionnaire, Section
from intake.visibility import VisibilityWords, shared_summary, visibility_words
from portal.i18n.texts import LangText

# The English words, marked for translation: read them through ``not_answered()``.
NOT_ANSWERED = gettext_noop("Not answered")


def not_answered() -> str:
    """"Not answered", in the language being written now."""
    return gettext(NOT_ANSWERED)


@dataclass(frozen=True)
class AnswerRow:
    question_id: str
    label: str
    # What the client answered, in words ("" when not answered): an option's label, or
    # what they typed, exactly as typed (a ``LangText`` in the language they answered in).
    text: str
    answered: bool
    # For repeating groups: one list of (label, text) pairs per entry.
    entries: tuple[tuple[tuple[str, str], ...], ...] = ()
    # Who else will see this answer; None on an individual questionnaire.
    visibility: VisibilityWords | None = None


@dataclass(frozen=True)
class SectionRows:
    section_id: str
    title: str
    rows: tuple[AnswerRow, ...] = field(default_factory=tuple)
    # Who else will see the section's answers; None on an individual questionnaire.
    visibility: VisibilityWords | None = None


@dataclass(frozen=True)
class PageVisibility:
    """What a section page says, before its questions, about who will see its answers,
    and the badge of each question that differs from its page."""

    section: VisibilityWords
    # (question id, its words) for each top-level question whose visibility is not its
    # section's: a private question on a shared page, or the reverse.
    overrides: tuple[tuple[str, VisibilityWords], ...] = ()

    def badge_for(self, question_id: str) -> VisibilityWords | None:
        return dict(self.overrides).get(question_id)


def answer_text(question: Question, value: Any) -> str:
    """One stored answer in words (choices by their labels, dates spelled out), as its
    type says it; "" when unanswered."""
    return question_type(question.type).display(question, value)


def _is_typed(question: Question, value: Any) -> bool:
    return question_type(question.type).free_text and value != IN_PERSON


def _in_words(question: Question, value: Any, typed_in: str) -> str:
    """``answer_text``; what the client typed knows the language they wrote in
    (``typed_in``, when known), so a page in another language marks it."""
    text = answer_text(question, value)
    return LangText(text, typed_in) if text and typed_in and _is_typed(question, value) \
        else text


def _row(
    question: Question, answers: Mapping[str, Any], visibility: VisibilityWords | None = None,
    typed_in: str = "",
) -> AnswerRow:
    value = answers.get(question.id)
    if question_type(question.type).holds_questions:
        entries = tuple(
            tuple((child.label, _in_words(child, entry.get(child.id), typed_in)
                   or not_answered())
                  for child in question.questions)
            for entry in (value or [])
        )
        return AnswerRow(question.id, question.label, "", bool(entries), entries, visibility)
    text = _in_words(question, value, typed_in)
    return AnswerRow(question.id, question.label, text, bool(text), visibility=visibility)


def _words(questionnaire: Questionnaire, visibility: str) -> VisibilityWords | None:
    return visibility_words(questionnaire.audience, visibility)


def answer_sections(questionnaire: Questionnaire, answers: Mapping[str, Any], *,
                    typed_in: str = "") -> list[SectionRows]:
    """Every shown section with every shown question, answered or not, in order; on a
    questionnaire shared between people, each says who else will see it. ``typed_in``:
    the language the answers were given in (``Intake.language``), which what the client
    typed is then marked with (a ``LangText``); "" when unknown."""
    sections = []
    for section in questionnaire.sections:
        if not visible(section, answers):
            continue
        rows = tuple(
            _row(question, answers, _words(questionnaire, questionnaire.visibility_of(question.id)),
                 typed_in)
            for question in section.questions if visible(question, answers)
        )
        sections.append(SectionRows(section.id, section.title, rows,
                                    _words(questionnaire, section.visibility)))
    return sections


def page_visibility(questionnaire: Questionnaire, section: Section) -> PageVisibility | None:
    """Who will see the answers on ``section``'s page, and which questions differ from it;
    None on an individual questionnaire (the page says nothing new)."""
    words = _words(questionnaire, section.visibility)
    if words is None:
        return None
    overrides = []
    for question in section.questions:
        own = questionnaire.visibility_of(question.id)
        badge = _words(questionnaire, own)
        if own != section.visibility and badge is not None:
            overrides.append((question.id, badge))
    return PageVisibility(words, tuple(overrides))


def shared_answer_count(sections: list[SectionRows]) -> int:
    """How many of the answers listed are shared (answered ones only: a skipped question
    shares nothing)."""
    return sum(
        1 for section in sections for row in section.rows
        if row.answered and row.visibility is not None and row.visibility.visibility == SHARED
    )


def review_summary(questionnaire: Questionnaire, sections: list[SectionRows]) -> str:
    """The line at the top of the review page ("3 of your answers will be shared with your
    partner"); "" on an individual questionnaire."""
    if not questionnaire.is_shared_between_people:
        return ""
    return shared_summary(questionnaire.audience, shared_answer_count(sections))


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
                label = gettext("%(group)s, entry %(number)s: %(question)s") % {
                    "group": question.label, "number": number, "question": child.label}
                rows += _posted_rows(child, label, entry.get(child.id))
    return rows
