"""``number``: a whole number from ``min_value`` to ``max_value``, stored as an int."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext

from intake.question_types.base import (
    FHIR_EXTENSION,
    AnswerError,
    Coder,
    QuestionType,
    control_attrs,
    single_value,
)
from intake.question_types.registry import register
from intake.schema_classes import Question


@register
class NumberType(QuestionType):
    name = "number"
    widget = "number"
    fhir_type = "integer"
    has_range = True

    def clean_answer(self, question: Question, raw: Any) -> int:
        value = single_value(raw)
        text = value.strip() if isinstance(value, str) else value
        try:
            number = int(text) if isinstance(text, str) and re.fullmatch(r"-?\d{1,9}", text) \
                else (text if isinstance(text, int) and not isinstance(text, bool) else None)
        except ValueError:
            number = None
        low, high = question.min_value, question.max_value
        if number is None or not low <= number <= high:  # type: ignore[operator]
            raise AnswerError(gettext("Please enter a whole number from %(low)s to %(high)s.")
                              % {"low": low, "high": high})
        return number

    def form_field(self, question: Question, *, describedby: str, invalid: bool) -> forms.Field:
        attrs = control_attrs(question, describedby=describedby, invalid=invalid)
        attrs.update(min=question.min_value, max=question.max_value, step=1,
                     inputmode="numeric")
        return forms.CharField(required=False, widget=forms.NumberInput(attrs=attrs))

    def fhir_item_details(self, question: Question) -> dict[str, Any]:
        return {"extension": [
            {"url": f"{FHIR_EXTENSION}minValue", "valueInteger": question.min_value},
            {"url": f"{FHIR_EXTENSION}maxValue", "valueInteger": question.max_value},
        ]}

    def fhir_answers(self, question: Question, value: Any, coding: Coder) -> list[tuple[str, Any]]:
        if question.sensitive:
            return [("String", str(value))]
        return [("Integer", int(value))]
