"""The frozen classes a parsed questionnaire is made of, and the in-person answer.

They sit below both the parser (``intake.schema``, which builds them) and the question types
(``intake.question_types``, which read them), so neither imports the other in a circle.
Everyone else imports them from ``intake.schema``, as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

IN_PERSON = "in_person"
IN_PERSON_LABEL = "I'd rather talk about this in person"
# What an id (of a question, section, instrument or option value) looks like.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

# Who fills in a questionnaire, and so who else may read some of its answers. An
# "individual" questionnaire (the default) is one person's, read by their care team only;
# the others are filled in by each person of a couple, family or an adolescent with
# guardians, and every section says whether its answers are shared with those others.
INDIVIDUAL = "individual"
AUDIENCES = (INDIVIDUAL, "couple", "family", "adolescent")
PRIVATE = "private"
SHARED = "shared"
VISIBILITIES = (PRIVATE, SHARED)


class DefinitionError(ValueError):
    """The questionnaire file is malformed; the message names where."""


@dataclass(frozen=True)
class Option:
    value: str | int
    label: str


@dataclass(frozen=True)
class Condition:
    """Show something only when an earlier answer matches."""

    question: str
    equals: Any = None
    one_of: tuple[Any, ...] = ()
    answered: bool = False

    def holds(self, answers: Mapping[str, Any]) -> bool:
        value = answers.get(self.question)
        if self.answered:
            return value not in (None, "", [])
        if self.one_of:
            if isinstance(value, list):
                return any(item in self.one_of for item in value)
            return value in self.one_of
        if isinstance(value, list):
            return self.equals in value
        return value == self.equals


@dataclass(frozen=True)
class Question:
    id: str
    type: str  # the name of its type in the registry (intake.question_types)
    label: str
    help: str = ""
    why: str = ""
    required: bool = False
    sensitive: bool = False
    options: tuple[Option, ...] = ()
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    not_future: bool = False
    max_items: int | None = None
    condition: Condition | None = None
    questions: tuple[Question, ...] = ()
    # Only where a top-level question differs from its section ("private" inside a shared
    # section, or the reverse); None takes the section's.
    visibility: str | None = None

    def option_values(self) -> tuple[str | int, ...]:
        return tuple(option.value for option in self.options)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    questions: tuple[Question, ...]
    intro: str = ""
    content_note: str = ""
    condition: Condition | None = None
    # Who besides the person and their care team reads this section's answers: "private"
    # (no one) or "shared" (the other people of the case). Always private for individuals.
    visibility: str = PRIVATE


@dataclass(frozen=True)
class Band:
    minimum: int
    maximum: int
    label: str


@dataclass(frozen=True)
class Instrument:
    """A scored scale (PHQ-9, GAD-7, CSI-4): the sum of its items' whole-number answers,
    and its bands, which cover ``min_total`` to ``max_total`` exactly once. The parser
    works the range out from the items' options (the lowest and highest value of each);
    0 to 3 per item when built by hand."""

    id: str
    title: str
    attribution: str
    items: tuple[str, ...]
    bands: tuple[Band, ...]
    # What the score means, in a sentence for staff, shown beside it ("" when none).
    interpretation: str = ""
    item_ranges: tuple[tuple[int, int], ...] = ()

    def ranges(self) -> tuple[tuple[int, int], ...]:
        """Each item's lowest and highest score, in item order."""
        return self.item_ranges or tuple((0, 3) for _ in self.items)

    @property
    def min_total(self) -> int:
        return sum(low for low, _ in self.ranges())

    @property
    def max_total(self) -> int:
        return sum(high for _, high in self.ranges())


@dataclass(frozen=True)
class Questionnaire:
    slug: str
    version: str
    title: str
    sections: tuple[Section, ...]
    intro: str = ""
    instruments: tuple[Instrument, ...] = ()
    safety: tuple[Condition, ...] = ()
    audience: str = INDIVIDUAL
    _questions: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)

    def question(self, question_id: str) -> Question:
        return self._questions[question_id]

    def has_question(self, question_id: str) -> bool:
        return question_id in self._questions

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    @property
    def is_shared_between_people(self) -> bool:
        """Filled in by each person of a couple, family or adolescent with guardians, so
        some answers may be read by the others (not an individual questionnaire)."""
        return self.audience != INDIVIDUAL

    def visibility_of(self, question_id: str) -> str:
        """``"shared"`` when the other people of the case may read this question's answer,
        else ``"private"`` (only the person and their care team). Always private on an
        individual questionnaire; a question inside a group has its group's. An unknown id
        is a ``KeyError``, never a guess."""
        for section in self.sections:
            for question in section.questions:
                ids = {question.id, *(child.id for child in question.questions)}
                if question_id in ids:
                    return self._effective_visibility(section, question)
        raise KeyError(question_id)

    def _effective_visibility(self, section: Section, question: Question) -> str:
        if not self.is_shared_between_people:
            return PRIVATE
        return question.visibility or section.visibility

    def shared_question_ids(self) -> frozenset[str]:
        """The top-level questions (the keys of an answers dict) whose answers the other
        people of the case may read; empty for an individual questionnaire. A group's
        entries go with their group's id."""
        return frozenset(
            question.id
            for section in self.sections
            for question in section.questions
            if self._effective_visibility(section, question) == SHARED
        )
