"""What every question type answers, and the small helpers the types share.

``QuestionType`` is the interface: each method is one job that used to be a branch on the
type's name somewhere else (the parser, ``intake.answers``, ``intake.forms``,
``intake.presenters``, ``intake.exports.fhir``). Its defaults suit a question with one
typed value; a type overrides what it does differently. The modules that walk a
questionnaire (sections, group entries) ask the type of each question and never its name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from intake.schema_classes import (
    DEFAULT_LANGUAGE,
    IN_PERSON,
    Option,
    Question,
    in_person_label,
    resolved,
)
from portal.text import has_visible_text

# Where FHIR's standard extensions live (minValue, maxValue, ordinalValue, maxOccurs).
FHIR_EXTENSION = "http://hl7.org/fhir/StructureDefinition/"
IN_PERSON_SUFFIX = "in-person"
# The ways an intake page (``intake.question_html``) draws a question.
WIDGETS = frozenset({"text", "textarea", "radio", "checkbox", "date", "number", "group"})

# Builds the FHIR ``Coding`` of one answer value and its words (the system names the
# questionnaire and the question, which only the exporter knows).
Coder = Callable[[Any, str], dict[str, str]]


def _translations(words: str | Promise, language: str) -> dict[str, str]:
    """``words`` (marked for translation) in the default language, in each language the
    portal offers and in ``language`` (a reader's): language -> text."""
    codes = [DEFAULT_LANGUAGE, *(code for code, _ in settings.LANGUAGES), language]
    texts = {}
    for code in dict.fromkeys(code.lower() for code in codes):
        with translation.override(code):
            texts[code] = str(words)
    return texts


class AnswerError(ValueError):
    """One answer that does not fit its question; the message is for the person."""


# --- Answers as sent --------------------------------------------------------------------


def is_unanswered(raw: Any) -> bool:
    """Nothing answered: no value, or text with nothing a reader could see (spaces, control
    characters, zero-width or direction marks alone), which would be stored as a blank. A
    one-item list is read as its item, as ``single_value`` reads it."""
    if isinstance(raw, list | tuple) and len(raw) == 1:
        raw = raw[0]
    return raw is None or raw == "" or raw == [] or (
        isinstance(raw, str) and not has_visible_text(raw)
    )


def single_value(raw: Any) -> Any:
    """A single value: the only item of a one-item list (how forms post), else as given."""
    if isinstance(raw, list | tuple):
        if len(raw) != 1:
            raise AnswerError(gettext("Please choose one answer."))
        return raw[0]
    return raw


# --- The page's fields ------------------------------------------------------------------


def in_person_name(name: str) -> str:
    """The "I'd rather talk about this in person" checkbox of a sensitive text field."""
    return f"{name}-{IN_PERSON_SUFFIX}"


def group_field_name(group_id: str, number: int, child_id: str) -> str:
    """The field of one question in entry ``number`` of a repeating group."""
    return f"{group_id}-{number}-{child_id}"


def is_empty_field(value: Any) -> bool:
    """A field left empty (an unticked checkbox too)."""
    return value is None or value == "" or value == [] or value is False


def posted_list(data: Mapping[str, Any], name: str) -> list[str]:
    """Every value posted under ``name`` (none, one, or more)."""
    if isinstance(data, QueryDict):
        return data.getlist(name)
    value = data.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def posted_single(data: Mapping[str, Any], name: str) -> str | list[str]:
    """The value of a field that takes one. Sent more than once, all of them come back,
    so ``clean_section`` refuses the answer (keeping the saved one) instead of guessing."""
    values = posted_list(data, name)
    if len(values) > 1:
        return values
    return values[0] if values else ""


def control_attrs(question: Question, *, describedby: str, invalid: bool) -> dict[str, Any]:
    """The attributes of a text-like control (one box to type in): its own description,
    error state and "required"."""
    attrs: dict[str, Any] = {"class": "form-control" + (" is-invalid" if invalid else "")}
    if describedby:
        attrs["aria-describedby"] = describedby
    if invalid:
        attrs["aria-invalid"] = "true"
    if question.required:
        attrs["aria-required"] = "true"
    return attrs


# --- The interface ----------------------------------------------------------------------


class QuestionType:
    """One kind of question: what its definition may say, how its answer is checked and
    stored, drawn on the page and put back in the fields, said in words (review, copy,
    PDF) and exported to FHIR. Registered once (``intake.question_types.registry``)."""

    name: ClassVar[str]  # as written in a definition's "type"
    widget: ClassVar[str]  # how the page draws it: one of ``WIDGETS``
    fhir_type: ClassVar[str]  # the FHIR Questionnaire item type

    # --- The definition (``intake.schema`` refuses the keys a type does not take) ------
    # Typed free text: takes "max_length" (this default when left out); a sensitive one
    # offers "in person" as a checkbox beside the field.
    free_text: ClassVar[bool] = False
    default_max_length: ClassVar[int | None] = None
    takes_options: ClassVar[bool] = False  # "options" listed in the definition
    # Options no definition may change, value -> label: interface words, written in English
    # and marked for translation (``pgettext_lazy``), so a reader of any language the
    # portal speaks reads them in it, like the page around them.
    fixed_options: ClassVar[Mapping[Any, str | Promise]] = {}
    has_range: ClassVar[bool] = False  # "min_value" and "max_value"
    may_be_not_future: ClassVar[bool] = False  # "not_future"
    holds_questions: ClassVar[bool] = False  # a repeating group: "questions", "max_items"

    def options_for(self, language: str) -> tuple[Option, ...]:
        """The fixed options, their labels for a reader of ``language``; each keeps its
        label in every language the portal speaks, as a definition's option would."""
        return tuple(
            Option(value, resolved(texts, language), texts={"label": texts},
                   language=language)
            for value, label in self.fixed_options.items()
            for texts in [_translations(label, language)]
        )

    def scale_range(self, question: Question) -> tuple[int, int] | None:
        """The lowest and highest whole number an answer to ``question`` scores, when an
        instrument may sum it (its answers are whole numbers); None when it may not."""
        return None

    def option_value_problem(self, value: Any, number: int) -> str | None:
        """What is wrong with the value of option ``number`` of a definition, if anything."""
        return None

    def options_problem(self, options: Sequence[Option]) -> str | None:
        """What is wrong with a definition's options as a whole, if anything."""
        return None

    # --- Answers ----------------------------------------------------------------------

    def clean_answer(self, question: Question, raw: Any) -> Any:
        """The stored form of one answer, or ``AnswerError`` saying what to change.
        ``raw`` is never empty (``intake.answers`` leaves empty answers out first)."""
        raise NotImplementedError

    # --- The page ---------------------------------------------------------------------

    def form_field(self, question: Question, *, describedby: str, invalid: bool) -> forms.Field:
        """A field that draws the question; it never validates (``clean_answer`` does)."""
        raise NotImplementedError

    def form_fields(
        self, question: Question, name: str, *, invalid: bool
    ) -> dict[str, forms.Field]:
        """Every field the question needs on the page, by field name."""
        help_id = f"{name}-help" if question.help else ""
        describedby = " ".join(part for part in (help_id, f"{name}-error") if part)
        return {name: self.form_field(question, describedby=describedby, invalid=invalid)}

    def posted_value(self, question: Question, name: str, data: Mapping[str, Any]) -> Any:
        """What the browser sent for the question, shaped for ``clean_answer``."""
        return posted_single(data, name)

    def initial(self, question: Question, name: str, value: Any) -> dict[str, Any]:
        """A saved answer as the values of the question's fields."""
        return {} if value is None else {name: str(value)}

    # --- Words ------------------------------------------------------------------------

    def display(self, question: Question, value: Any) -> str:
        """One stored answer in words, "" when unanswered."""
        if value is None or value == "" or value == []:
            return ""
        if value == IN_PERSON and question.sensitive:
            return in_person_label()
        return self.words(question, value)

    def words(self, question: Question, value: Any) -> str:
        """An answer (neither empty nor "in person") in words."""
        return str(value)

    def posted_words(self, question: Question, value: Any) -> list[str]:
        """What a refused post sent for the question, in words, for the person to copy
        from: one text per value (a value sent several times is shown each time)."""
        if value is None or value == "" or value == []:
            return []
        if isinstance(value, list):
            return [text for item in value for text in self.posted_words(question, item)]
        return [self.display(question, value)]

    # --- FHIR -------------------------------------------------------------------------

    def fhir_item_type(self, question: Question) -> str:
        return self.fhir_type

    def fhir_item_details(self, question: Question) -> dict[str, Any]:
        """What the Questionnaire item says beyond its type (repeats, limits)."""
        return {}

    def fhir_option(self, option: Option, coding: Coder) -> dict[str, Any]:
        """One ``answerOption`` of the Questionnaire item."""
        return {"valueCoding": coding(option.value, option.label)}

    def fhir_answers(self, question: Question, value: Any, coding: Coder) -> list[tuple[str, Any]]:
        """One stored answer (neither empty nor "in person") as ``(valueX name, value)``
        pairs of a QuestionnaireResponse answer."""
        return [("String", str(value))]
