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


@dataclass(frozen=True)
class Band:
    minimum: int
    maximum: int
    label: str


@dataclass(frozen=True)
class Instrument:
    """A scored scale (PHQ-9, GAD-7): the sum of its frequency items, and its bands."""

    id: str
    title: str
    attribution: str
    items: tuple[str, ...]
    bands: tuple[Band, ...]

    @property
    def max_total(self) -> int:
        return 3 * len(self.items)


@dataclass(frozen=True)
class Questionnaire:
    slug: str
    version: str
    title: str
    sections: tuple[Section, ...]
    intro: str = ""
    instruments: tuple[Instrument, ...] = ()
    safety: tuple[Condition, ...] = ()
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
