"""Typed text: ``short_text`` (one line) and ``long_text`` (a few paragraphs).

Both keep what was typed without control characters, within ``max_length``. A sensitive
one has an "I'd rather talk about this in person" checkbox beside the field; ticking it is an
explicit choice and wins over any typed text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext

from intake.question_types.base import (
    AnswerError,
    QuestionType,
    control_attrs,
    in_person_name,
    posted_list,
    single_value,
)
from intake.question_types.registry import register
from intake.schema_classes import IN_PERSON, Question, in_person_label
from portal.text import without_control_characters


class TextType(QuestionType):
    free_text = True
    one_line = False

    def clean_answer(self, question: Question, raw: Any) -> str:
        if question.sensitive and single_value(raw) == IN_PERSON:
            return IN_PERSON
        value = single_value(raw)
        if not isinstance(value, str):
            raise AnswerError(gettext("Please type your answer as text."))
        value = without_control_characters(value.replace("\r\n", "\n")).strip()
        if self.one_line:
            value = value.replace("\n", " ")
        limit = question.max_length or 0
        if len(value) > limit:
            raise AnswerError(
                gettext("Please keep this to %(limit)s characters (it is %(length)s now).")
                % {"limit": number_format(limit, force_grouping=True),
                   "length": number_format(len(value), force_grouping=True)}
            )
        return value

    def form_fields(
        self, question: Question, name: str, *, invalid: bool
    ) -> dict[str, forms.Field]:
        fields = super().form_fields(question, name, invalid=invalid)
        if question.sensitive:
            fields[in_person_name(name)] = forms.BooleanField(
                required=False, label=in_person_label(),
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )
        return fields

    def posted_value(self, question: Question, name: str, data: Mapping[str, Any]) -> Any:
        ticked = posted_list(data, in_person_name(name))
        if question.sensitive and ticked:
            # Ticking "rather talk in person" is an explicit choice: it wins over typed text.
            # Ticked more than once is no browser's post: refused like any repeated value.
            return IN_PERSON if len(ticked) == 1 else ticked
        return super().posted_value(question, name, data)

    def initial(self, question: Question, name: str, value: Any) -> dict[str, Any]:
        if question.sensitive and value == IN_PERSON:
            return {in_person_name(name): True}
        return super().initial(question, name, value)

    def fhir_item_type(self, question: Question) -> str:
        # A string or text item may only be answered with valueString, so a sensitive one,
        # which may also be answered "in person" (a coding), is an open choice.
        return "open-choice" if question.sensitive else self.fhir_type

    def fhir_item_details(self, question: Question) -> dict[str, Any]:
        return {"maxLength": question.max_length} if question.max_length else {}


@register
class ShortText(TextType):
    name = "short_text"
    widget = "text"
    fhir_type = "string"
    default_max_length = 200
    one_line = True

    def form_field(self, question: Question, *, describedby: str, invalid: bool) -> forms.Field:
        attrs = control_attrs(question, describedby=describedby, invalid=invalid)
        return forms.CharField(required=False, strip=False, max_length=question.max_length,
                               widget=forms.TextInput(attrs=attrs))


@register
class LongText(TextType):
    name = "long_text"
    widget = "textarea"
    fhir_type = "text"
    default_max_length = 4000

    def form_field(self, question: Question, *, describedby: str, invalid: bool) -> forms.Field:
        attrs = control_attrs(question, describedby=describedby, invalid=invalid)
        attrs["rows"] = 5 if (question.max_length or 0) > 1000 else 3
        return forms.CharField(required=False, strip=False, max_length=question.max_length,
                               widget=forms.Textarea(attrs=attrs))
