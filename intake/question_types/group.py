"""``group``: a repeating group of simple questions ("the important people in your life"),
up to ``max_items`` entries, stored as a list of ``{child id: answer}`` dicts.

Each entry's answers are checked, read and filled by their own types. The modules that walk
a questionnaire draw, show and export a group entry by entry (``holds_questions``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext, ngettext

from intake.question_types.base import (
    AnswerError,
    QuestionType,
    group_field_name,
    is_empty_field,
    is_unanswered,
)
from intake.question_types.registry import question_type, register
from intake.schema_classes import Question


@register
class GroupType(QuestionType):
    name = "group"
    widget = "group"
    fhir_type = "group"
    holds_questions = True

    def clean_answer(self, question: Question, raw: Any) -> list[dict[str, Any]]:
        if not isinstance(raw, list | tuple) or not all(isinstance(item, Mapping) for item in raw):
            raise AnswerError(gettext("These answers could not be read. Please try again."))
        if len(raw) > (question.max_items or 0):
            most = question.max_items or 0
            raise AnswerError(ngettext("You can add up to %(count)d here.",
                                       "You can add up to %(count)d here.", most)
                              % {"count": most})
        items = []
        for number, item in enumerate(raw, start=1):
            unknown = set(item) - {child.id for child in question.questions}
            if unknown:
                raise AnswerError(gettext("These answers could not be read. Please try again."))
            clean = {}
            for child in question.questions:
                if is_unanswered(item.get(child.id)):
                    continue
                try:
                    clean[child.id] = question_type(child.type).clean_answer(child, item[child.id])
                except AnswerError as error:
                    raise AnswerError(
                        gettext("Entry %(number)s, %(question)s: %(problem)s")
                        % {"number": number, "question": child.label, "problem": error}
                    ) from None
            if clean:
                items.append(clean)
        return items

    def form_fields(
        self, question: Question, name: str, *, invalid: bool
    ) -> dict[str, forms.Field]:
        fields: dict[str, forms.Field] = {}
        for number in range(1, (question.max_items or 0) + 1):
            for child in question.questions:
                fields.update(question_type(child.type).form_fields(
                    child, group_field_name(name, number, child.id), invalid=False))
        return fields

    def posted_value(self, question: Question, name: str, data: Mapping[str, Any]) -> Any:
        entries = []
        for number in range(1, (question.max_items or 0) + 1):
            entry = {
                child.id: question_type(child.type).posted_value(
                    child, group_field_name(name, number, child.id), data)
                for child in question.questions
            }
            entry = {key: value for key, value in entry.items() if not is_empty_field(value)}
            if entry:
                entries.append(entry)
        return entries

    def initial(self, question: Question, name: str, value: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for number, entry in enumerate(value or [], start=1):
            for child in question.questions:
                initial.update(question_type(child.type).initial(
                    child, group_field_name(name, number, child.id), entry.get(child.id)))
        return initial
