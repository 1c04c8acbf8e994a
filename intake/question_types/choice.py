"""Answers chosen from options: ``single_choice``, ``yes_no`` (fixed options),
``multiple_choice`` and ``frequency`` (the 0-3 scale of the PHQ-9 and GAD-7).

The stored answer is the option's value (a list of them for a multiple choice, in the
questionnaire's order); its words are the option's label. A sensitive choice offers
"I'd rather talk about this in person" as one more option. In FHIR each option is a coding.

A ``single_choice`` has identifiers for values, or whole numbers for all of them (the items
of a scale such as the CSI-4, whose answers score 0 to 5 or 0 to 6): never a mix, so a
posted "3" can only mean the option worth 3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext, pgettext_lazy

from intake.question_types.base import (
    FHIR_EXTENSION,
    AnswerError,
    Coder,
    QuestionType,
    posted_list,
    single_value,
)
from intake.question_types.registry import register
from intake.schema_classes import IDENTIFIER, IN_PERSON, Option, Question, in_person_label
from intake.widgets import CheckboxOptions, RadioOptions
from portal.i18n.texts import joined

# The four values the page posts for a frequency: ``str.isdigit`` would also let "²" or a
# 5,000-digit string through to ``int()``, which then raises (a server error).
FREQUENCY_TEXT = frozenset({"0", "1", "2", "3"})


def _choices(question: Question) -> list[tuple[str, str]]:
    choices = [(str(option.value), option.label) for option in question.options]
    if question.sensitive:
        choices.append((IN_PERSON, in_person_label()))
    return choices


def _labels(question: Question) -> dict[Any, str]:
    return {option.value: option.label for option in question.options}


def _is_whole_number(value: Any) -> bool:
    # ``True == 1`` in Python: a boolean is never a score.
    return type(value) is int


def _chosen_option_value(question: Question, value: Any) -> str | int | None:
    """The value of the option ``value`` names, or None. Whole-number options are named by
    their exact digits as the page posts them ("3"), or by the number itself; nothing is
    parsed with ``int()`` (which takes "³", " 3" or a 5,000-digit string)."""
    for option in question.options:
        if type(value) is type(option.value) and value == option.value:
            return option.value
        if _is_whole_number(option.value) and isinstance(value, str) \
                and value == str(option.value):
            return option.value
    return None


class ChoiceType(QuestionType):
    """One option out of those the definition lists, drawn as radio buttons."""

    widget = "radio"
    fhir_type = "choice"
    takes_options = True

    def option_value_problem(self, value: Any, number: int) -> str | None:
        if isinstance(value, str) and IDENTIFIER.match(value) and value != IN_PERSON:
            return None
        return "option values are short lower-case identifiers"

    def clean_answer(self, question: Question, raw: Any) -> Any:
        value = single_value(raw)
        if question.sensitive and value == IN_PERSON:
            return IN_PERSON
        chosen = _chosen_option_value(question, value)
        if chosen is None:
            raise AnswerError(gettext("Please choose one of the options."))
        return chosen

    def form_field(self, question: Question, *, describedby: str, invalid: bool) -> forms.Field:
        # The fieldset carries the description; each button only needs its class.
        return forms.ChoiceField(required=False, choices=_choices(question),
                                 widget=RadioOptions(attrs={"class": "form-check-input"}))

    def words(self, question: Question, value: Any) -> str:
        chosen = _chosen_option_value(question, value)
        return _labels(question)[chosen] if chosen is not None else str(value)

    def fhir_answers(self, question: Question, value: Any, coding: Coder) -> list[tuple[str, Any]]:
        labels = _labels(question)
        values = value if isinstance(value, list) else [value]
        return [("Coding", coding(item, labels.get(item, str(item)))) for item in values]


@register
class SingleChoice(ChoiceType):
    """One option: identifiers, or whole numbers when the question is a scale's item."""

    name = "single_choice"

    def option_value_problem(self, value: Any, number: int) -> str | None:
        if _is_whole_number(value) and 0 <= value <= 100:
            return None
        if super().option_value_problem(value, number) is None:
            return None
        return "option values are short lower-case identifiers, or whole numbers 0 to 100"

    def options_problem(self, options: Sequence[Option]) -> str | None:
        numbers = [_is_whole_number(option.value) for option in options]
        if all(numbers) or not any(numbers):
            return None
        return "option values are all identifiers or all whole numbers, not a mix"

    def scale_range(self, question: Question) -> tuple[int, int] | None:
        values = question.option_values()
        if not values or not all(_is_whole_number(value) for value in values):
            return None
        numbers = [int(value) for value in values]
        return min(numbers), max(numbers)

    def fhir_option(self, option: Option, coding: Coder) -> dict[str, Any]:
        if not _is_whole_number(option.value):
            return super().fhir_option(option, coding)
        # A scale's item: the weight the instrument sums, as the frequency items carry it.
        return {"valueCoding": coding(option.value, option.label),
                "extension": [{"url": f"{FHIR_EXTENSION}ordinalValue",
                               "valueDecimal": option.value}]}


@register
class YesNo(ChoiceType):
    name = "yes_no"
    takes_options = False
    fixed_options = {"yes": pgettext_lazy("an answer to a yes-or-no question", "Yes"),
                     "no": pgettext_lazy("an answer to a yes-or-no question", "No")}


@register
class MultipleChoice(ChoiceType):
    """Any number of the options, drawn as checkboxes; stored in the questionnaire's order."""

    name = "multiple_choice"
    widget = "checkbox"

    def clean_answer(self, question: Question, raw: Any) -> list[str | int] | str:
        values = list(raw) if isinstance(raw, list | tuple) else [raw]
        if question.sensitive and values == [IN_PERSON]:
            return IN_PERSON
        allowed = question.option_values()
        if any(value not in allowed for value in values) or len(set(values)) != len(values):
            raise AnswerError(gettext("Please choose from the options."))
        return [value for value in allowed if value in values]  # in the questionnaire's order

    def form_field(self, question: Question, *, describedby: str, invalid: bool) -> forms.Field:
        return forms.MultipleChoiceField(
            required=False, choices=_choices(question),
            widget=CheckboxOptions(attrs={"class": "form-check-input"}),
        )

    def posted_value(self, question: Question, name: str, data: Mapping[str, Any]) -> Any:
        return posted_list(data, name)

    def initial(self, question: Question, name: str, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        return {name: [IN_PERSON] if value == IN_PERSON else [str(item) for item in value]}

    def words(self, question: Question, value: Any) -> str:
        labels = _labels(question)
        # Each label keeps its language (``joined``): a page marks the English ones.
        return joined("; ", (labels.get(item, str(item)) for item in value))

    def posted_words(self, question: Question, value: Any) -> list[str]:
        # The boxes ticked arrive as one list: said in one line, as on the review page.
        if value is None or value == "" or value == []:
            return []
        return [self.display(question, value)]

    def fhir_item_details(self, question: Question) -> dict[str, Any]:
        return {"repeats": True}


@register
class Frequency(ChoiceType):
    """How often, from "Not at all" (0) to "Nearly every day" (3): the items the PHQ-9 and
    GAD-7 sum. Stored as the whole number."""

    name = "frequency"

    def scale_range(self, question: Question) -> tuple[int, int] | None:
        return 0, 3

    def option_value_problem(self, value: Any, number: int) -> str | None:
        if type(value) is int and value == number:
            return None
        return "frequency options are the values 0, 1, 2, 3 in order"

    def options_problem(self, options: Sequence[Option]) -> str | None:
        if len(options) == 4:
            return None
        return "frequency questions have exactly four options"

    def clean_answer(self, question: Question, raw: Any) -> int:
        value = single_value(raw)
        if isinstance(value, str) and value.strip() in FREQUENCY_TEXT:
            value = int(value)
        # Whole numbers only: 1.0 == 1 in Python, and a float must not be stored as a score.
        if type(value) is not int or value not in (0, 1, 2, 3):
            raise AnswerError(gettext(
                "Please choose how often, from 'Not at all' to 'Nearly every day'."
            ))
        return value

    def posted_words(self, question: Question, value: Any) -> list[str]:
        # Posted as text ("2"): said like the stored number it stands for.
        if isinstance(value, str) and value in FREQUENCY_TEXT:
            value = int(value)
        return super().posted_words(question, value)

    def fhir_option(self, option: Option, coding: Coder) -> dict[str, Any]:
        # The 0-3 weight that PHQ-9 and GAD-7 sum.
        return {"valueCoding": coding(option.value, option.label),
                "extension": [{"url": f"{FHIR_EXTENSION}ordinalValue",
                               "valueDecimal": option.value}]}
