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

import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from itertools import pairwise
from typing import Any

from django import forms
from django.forms import BoundField
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from intake.answers import visible
from intake.question_types import question_type
from intake.question_types.base import (
    group_field_name,
    in_person_name,
    is_empty_field,
    posted_list,
)
from intake.schema import Condition, Question, Questionnaire, Section
from portal.input_checks import SingleValueFieldsMixin
from portal.templatetags.portal_lang import lang_marked

__all__ = [
    "LISTED_FIELD",
    "GroupBlock",
    "QuestionItem",
    "SectionForm",
    "group_field_name",
    "in_person_name",
    "initial_values",
    "posted_answers",
]

LISTED_FIELD = "questions"
SHOWN_GROUP_ENTRIES = 2


# --- Reading a post ---------------------------------------------------------------------


def _on_post(question: Question, data: Mapping[str, Any], listed: set[str]) -> bool:
    if question.id in listed or question.id in data:
        return True
    prefix = f"{question.id}-"
    return any(key.startswith(prefix) for key in data)


def posted_answers(section: Section, data: Mapping[str, Any]) -> dict[str, Any]:
    """What the browser sent for ``section``, shaped for ``clean_section``: text as typed,
    option values as strings, lists for multiple choices, a list of dicts for a group.
    Anything that is not a field of this section is ignored here."""
    listed = set(posted_list(data, LISTED_FIELD))
    return {
        question.id: question_type(question.type).posted_value(question, question.id, data)
        for question in section.questions
        if _on_post(question, data, listed)
    }


# --- Saved answers as form values -------------------------------------------------------


def initial_values(section: Section, answers: Mapping[str, Any]) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for question in section.questions:
        initial.update(question_type(question.type).initial(
            question, question.id, answers.get(question.id)))
    return initial


# --- The form ---------------------------------------------------------------------------


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
    def options_html(self) -> SafeString:
        """The options of a radio or checkbox question as the page shows them: each input
        (``intake.widgets``) beside its label, the label marked with its language when it
        is not the page's (``lang_marked``). Written here rather than in the template's
        loop: a page of questionnaires holds sixty and more."""
        if self.field is None:
            return SafeString("")
        return format_html_join(
            "\n", '<div class="form-check intake-option">{}<label class="form-check-label" '
            'for="{}">{}</label></div>',
            ((box.tag(), box.id_for_label, lang_marked(box.choice_label))
             for box in self.field))

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
        self.fields.update(question_type(question.type).form_fields(question, name,
                                                                    invalid=invalid))

    def _item(self, question: Question, name: str) -> QuestionItem:
        kind = question_type(question.type)
        item = QuestionItem(question=question, name=name, kind=kind.widget,
                            error=self.answer_errors.get(name, ""))
        if kind.holds_questions:
            item.blocks = self._blocks(question, name)
            return item
        item.field = self[name]
        if in_person_name(name) in self.fields:
            item.in_person = self[in_person_name(name)]
        return item

    def _blocks(self, question: Question, name: str) -> list[GroupBlock]:
        blocks = []
        for number in range(1, (question.max_items or 0) + 1):
            items = [self._item(child, group_field_name(name, number, child.id))
                     for child in question.questions]
            filled = any(
                not is_empty_field(child.field.value() if child.field else None)
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
