"""The form of one intake page, generated from the questionnaire definition.

The form only collects what the browser sent and draws the fields; the server's check of
every answer is ``intake.answers.clean_section``, whose messages are shown next to the
fields. Field names:

- a question: its id (``legal_name``);
- "I'd rather talk about this in person" for a sensitive text question: a checkbox named
  ``<id>-in-person`` (choice questions get it as one more option instead);
- a repeating group: ``<group>-<n>-<child>`` for entries ``n`` = 1 to ``max_items``.

Question ids never contain a hyphen, so these names cannot collide with a question id.

Which questions a post is about: every page lists its questions in hidden ``questions``
fields. A listed question that sent nothing (no box ticked, an emptied field) is cleared,
as a form post means; a question neither listed nor sent keeps its saved answer (an
autosave of one field).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from itertools import pairwise
from typing import Any

from django import forms
from django.forms import BoundField
from django.http import QueryDict

from intake.answers import EARLIEST_DATE, visible
from intake.schema import (
    IN_PERSON,
    IN_PERSON_LABEL,
    TEXT_TYPES,
    Condition,
    Question,
    Questionnaire,
    Section,
)
from portal.input_checks import SingleValueFieldsMixin

LISTED_FIELD = "questions"
IN_PERSON_SUFFIX = "in-person"
SHOWN_GROUP_ENTRIES = 2
RADIO_TYPES = frozenset({"single_choice", "yes_no", "frequency"})


def in_person_name(name: str) -> str:
    return f"{name}-{IN_PERSON_SUFFIX}"


def group_field_name(group_id: str, number: int, child_id: str) -> str:
    return f"{group_id}-{number}-{child_id}"


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


# --- Reading a post ---------------------------------------------------------------------


def _values(data: Mapping[str, Any], name: str) -> list[str]:
    if isinstance(data, QueryDict):
        return data.getlist(name)
    value = data.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _one_value(data: Mapping[str, Any], name: str) -> str | list[str]:
    """The value of a field that takes one. Sent more than once, all of them come back,
    so ``clean_section`` refuses the answer (keeping the saved one) instead of guessing."""
    values = _values(data, name)
    if len(values) > 1:
        return values
    return values[0] if values else ""


def _posted_value(question: Question, name: str, data: Mapping[str, Any]) -> Any:
    if question.type == "group":
        entries = []
        for number in range(1, (question.max_items or 0) + 1):
            entry = {
                child.id: _posted_value(child, group_field_name(name, number, child.id), data)
                for child in question.questions
            }
            entry = {key: value for key, value in entry.items() if not _is_empty(value)}
            if entry:
                entries.append(entry)
        return entries
    ticked = _values(data, in_person_name(name))
    if question.sensitive and question.type in TEXT_TYPES and ticked:
        # Ticking "rather talk in person" is an explicit choice: it wins over typed text.
        # Ticked more than once is no browser's post: refused like any repeated value.
        return IN_PERSON if len(ticked) == 1 else ticked
    if question.type == "multiple_choice":
        return _values(data, name)
    return _one_value(data, name)


def _on_post(question: Question, data: Mapping[str, Any], listed: set[str]) -> bool:
    if question.id in listed or question.id in data:
        return True
    prefix = f"{question.id}-"
    return any(key.startswith(prefix) for key in data)


def posted_answers(section: Section, data: Mapping[str, Any]) -> dict[str, Any]:
    """What the browser sent for ``section``, shaped for ``clean_section``: text as typed,
    option values as strings, lists for multiple choices, a list of dicts for a group.
    Anything that is not a field of this section is ignored here."""
    listed = set(_values(data, LISTED_FIELD))
    return {
        question.id: _posted_value(question, question.id, data)
        for question in section.questions
        if _on_post(question, data, listed)
    }


# --- Saved answers as form values -------------------------------------------------------


def _initial_for(question: Question, name: str, value: Any, initial: dict[str, Any]) -> None:
    if question.type == "group":
        for number, entry in enumerate(value or [], start=1):
            for child in question.questions:
                _initial_for(child, group_field_name(name, number, child.id),
                             entry.get(child.id), initial)
        return
    if value is None:
        return
    if question.type in TEXT_TYPES and question.sensitive and value == IN_PERSON:
        initial[in_person_name(name)] = True
        return
    if question.type == "multiple_choice":
        initial[name] = [IN_PERSON] if value == IN_PERSON else [str(item) for item in value]
        return
    initial[name] = str(value)


def initial_values(section: Section, answers: Mapping[str, Any]) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for question in section.questions:
        _initial_for(question, question.id, answers.get(question.id), initial)
    return initial


# --- The form ---------------------------------------------------------------------------


def _choices(question: Question) -> list[tuple[str, str]]:
    choices = [(str(option.value), option.label) for option in question.options]
    if question.sensitive:
        choices.append((IN_PERSON, IN_PERSON_LABEL))
    return choices


def _field_for(question: Question, *, describedby: str, invalid: bool) -> forms.Field:
    """A field that draws the question; it never validates (``clean_section`` does)."""
    attrs: dict[str, Any] = {}
    if question.type in RADIO_TYPES or question.type == "multiple_choice":
        # The fieldset carries the description; each box only needs its class.
        attrs["class"] = "form-check-input"
    else:
        attrs["class"] = "form-control" + (" is-invalid" if invalid else "")
        if describedby:
            attrs["aria-describedby"] = describedby
        if invalid:
            attrs["aria-invalid"] = "true"
        if question.required:
            attrs["aria-required"] = "true"
    kind = question.type
    if kind == "short_text":
        return forms.CharField(required=False, strip=False, max_length=question.max_length,
                               widget=forms.TextInput(attrs=attrs))
    if kind == "long_text":
        attrs["rows"] = 5 if (question.max_length or 0) > 1000 else 3
        return forms.CharField(required=False, strip=False, max_length=question.max_length,
                               widget=forms.Textarea(attrs=attrs))
    if kind in RADIO_TYPES:
        return forms.ChoiceField(required=False, choices=_choices(question),
                                 widget=forms.RadioSelect(attrs=attrs))
    if kind == "multiple_choice":
        return forms.MultipleChoiceField(required=False, choices=_choices(question),
                                         widget=forms.CheckboxSelectMultiple(attrs=attrs))
    if kind == "date":
        attrs.update(type="date", min=EARLIEST_DATE.isoformat())
        if question.not_future:
            attrs["max"] = datetime.date.today().isoformat()  # noqa: DTZ011 - a calendar day
        return forms.CharField(required=False, widget=forms.DateInput(attrs=attrs))
    if kind == "number":
        attrs.update(min=question.min_value, max=question.max_value, step=1,
                     inputmode="numeric")
        return forms.CharField(required=False, widget=forms.NumberInput(attrs=attrs))
    raise ValueError(f"no field for {kind!r}")


def _condition_json(condition: Condition) -> str:
    """The condition for the page's script, values as the form posts them (text)."""
    if condition.answered:
        return json.dumps({"question": condition.question, "answered": True})
    values = condition.one_of or (condition.equals,)
    return json.dumps({"question": condition.question, "in": [str(value) for value in values]})


@dataclass
class QuestionItem:
    """One question as the template draws it."""

    question: Question
    name: str
    kind: str  # text, textarea, radio, checkbox, date, number, group
    error: str = ""
    field: BoundField | None = None
    in_person: BoundField | None = None
    condition: str = ""  # JSON for data-condition, when it depends on this page
    blocks: list[GroupBlock] = dataclass_field(default_factory=list)

    @property
    def dom_id(self) -> str:
        return f"q-{self.name}"

    @property
    def help_id(self) -> str:
        return f"{self.name}-help" if self.question.help else ""

    @property
    def error_id(self) -> str:
        return f"{self.name}-error"

    @property
    def describedby(self) -> str:
        return " ".join(part for part in (self.help_id, self.error_id) if part)

    @property
    def first_hidden_block(self) -> GroupBlock | None:
        return next((block for block in self.blocks if not block.shown), None)

    @property
    def is_fieldset(self) -> bool:
        return self.kind in ("radio", "checkbox", "group")

    @property
    def anchor(self) -> str:
        """The id of the first control, for links from the error summary and the review."""
        if self.kind == "group":
            return self.blocks[0].items[0].anchor if self.blocks else self.dom_id
        if self.field is None:
            return self.dom_id
        if self.kind in ("radio", "checkbox"):
            return f"{self.field.auto_id}_0"
        return self.field.auto_id


@dataclass
class GroupBlock:
    """One entry of a repeating group. Entries after the shown ones sit, each inside the
    one before, in "Add another" disclosures: no script needed to add one."""

    number: int
    items: list[QuestionItem]
    shown: bool
    filled: bool
    more: GroupBlock | None = None


_KINDS = {
    "short_text": "text", "long_text": "textarea", "single_choice": "radio",
    "yes_no": "radio", "frequency": "radio", "multiple_choice": "checkbox",
    "date": "date", "number": "number", "group": "group",
}


class SectionForm(SingleValueFieldsMixin, forms.Form):
    """The fields of one section. Bound to a post (``data``) to show what was typed back
    with the server's messages, or unbound with the saved answers as initial values."""

    def __init__(
        self,
        questionnaire: Questionnaire,
        section: Section,
        *,
        answers: Mapping[str, Any],
        data: Mapping[str, Any] | None = None,
        errors: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(data=data, initial=initial_values(section, answers))
        self.questionnaire = questionnaire
        self.section = section
        self.answer_errors = dict(errors or {})
        own = {question.id for question in section.questions}
        self.questions_here: list[Question] = []
        for question in section.questions:
            condition = question.condition
            # A condition on an earlier page cannot change while this page is open: decide
            # it now. One on this page is left to the script (and to the server).
            if condition is not None and condition.question not in own and not visible(
                question, answers
            ):
                continue
            self.questions_here.append(question)
            self._add_fields(question, question.id, invalid=question.id in self.answer_errors)
        # The fields exist only now: a repeated one is left out of the data, so the page
        # shows the message of clean_section (which refused it) rather than a guess.
        self.take_out_repeated_fields()

    def _add_fields(self, question: Question, name: str, *, invalid: bool) -> None:
        if question.type == "group":
            for number in range(1, (question.max_items or 0) + 1):
                for child in question.questions:
                    self._add_fields(child, group_field_name(name, number, child.id),
                                     invalid=False)
            return
        help_id = f"{name}-help" if question.help else ""
        describedby = " ".join(part for part in (help_id, f"{name}-error") if part)
        self.fields[name] = _field_for(question, describedby=describedby, invalid=invalid)
        if question.sensitive and question.type in TEXT_TYPES:
            self.fields[in_person_name(name)] = forms.BooleanField(
                required=False, label=IN_PERSON_LABEL,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )

    def _item(self, question: Question, name: str) -> QuestionItem:
        item = QuestionItem(question=question, name=name, kind=_KINDS[question.type],
                            error=self.answer_errors.get(name, ""))
        if question.type == "group":
            item.blocks = self._blocks(question, name)
            return item
        item.field = self[name]
        if question.sensitive and question.type in TEXT_TYPES:
            item.in_person = self[in_person_name(name)]
        return item

    def _blocks(self, question: Question, name: str) -> list[GroupBlock]:
        blocks = []
        for number in range(1, (question.max_items or 0) + 1):
            items = [self._item(child, group_field_name(name, number, child.id))
                     for child in question.questions]
            filled = any(
                not _is_empty(child.field.value() if child.field else None)
                or (child.in_person is not None and child.in_person.value())
                for child in items
            )
            blocks.append(GroupBlock(number=number, items=items, shown=False, filled=filled))
        last_filled = max((block.number for block in blocks if block.filled), default=0)
        shown = max(SHOWN_GROUP_ENTRIES, last_filled)
        for block in blocks:
            block.shown = block.number <= shown
        hidden = [block for block in blocks if not block.shown]
        for before, after in pairwise(hidden):
            before.more = after
        return blocks

    def items(self) -> list[QuestionItem]:
        """The questions of this page, in order, ready to draw."""
        own = {question.id for question in self.section.questions}
        items = []
        for question in self.questions_here:
            item = self._item(question, question.id)
            condition = question.condition
            if condition is not None and condition.question in own:
                item.condition = _condition_json(condition)
            items.append(item)
        return items
