"""``date``: a calendar day, stored as ISO text (``1990-04-21``), said in words on the review
and the PDF. ``not_future`` refuses a day after today (a date of birth)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext

from intake.question_types.base import (
    AnswerError,
    Coder,
    QuestionType,
    control_attrs,
    single_value,
)
from intake.question_types.registry import register
from intake.schema_classes import Question
from portal.formatting import format_day

EARLIEST_DATE = datetime.date(1900, 1, 1)


@register
class DateType(QuestionType):
    name = "date"
    widget = "date"
    fhir_type = "date"
    may_be_not_future = True

    def clean_answer(self, question: Question, raw: Any) -> str:
        value = single_value(raw)
        try:
            day = datetime.date.fromisoformat(value.strip()) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None:
            raise AnswerError(gettext("Please enter a date, for example 1990-04-21."))
        if day < EARLIEST_DATE:
            raise AnswerError(gettext("Please check the year."))
        if question.not_future and day > datetime.date.today():  # noqa: DTZ011 - a calendar day
            raise AnswerError(gettext("This date can't be in the future."))
        return day.isoformat()

    def form_field(self, question: Question, *, describedby: str, invalid: bool) -> forms.Field:
        attrs = control_attrs(question, describedby=describedby, invalid=invalid)
        attrs.update(type="date", min=EARLIEST_DATE.isoformat())
        if question.not_future:
            attrs["max"] = datetime.date.today().isoformat()  # noqa: DTZ011 - a calendar day
        return forms.CharField(required=False, widget=forms.DateInput(attrs=attrs))

    def words(self, question: Question, value: Any) -> str:
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            return value
        return format_day(day)

    def fhir_answers(self, question: Question, value: Any, coding: Coder) -> list[tuple[str, Any]]:
        if question.sensitive:
            return [("String", str(value))]
        return [("Date", str(value))]
