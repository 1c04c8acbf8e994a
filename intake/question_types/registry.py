"""The registry of question types: the one place a question type is defined.

A questionnaire definition names each question's type (``"type": "short_text"``). Everything
that depends on the type, from what the definition may say to how the answer reaches a
FHIR export, is one class registered here under that name, and found only through
``question_type(name)``. No other module branches on a type's name: the parser
(``intake.schema``), the answer checks (``intake.answers``), the page (``intake.forms``),
the words of the review, copy and PDF (``intake.presenters``) and the FHIR export
(``intake.exports.fhir``) all ask the registered class. That is why it is the only way to
add or change a type: a branch written anywhere else would be missed by the next type.

Adding a type touches one file. Write a module in ``intake/question_types/`` holding a
subclass of ``QuestionType`` (``intake.question_types.base``) decorated with ``@register``:

    @register
    class Percentage(QuestionType):
        name = "percentage"      # what a definition writes in "type"
        widget = "number"        # how the page template draws it
        fhir_type = "integer"    # the FHIR Questionnaire item type
        has_range = True         # the definition keys it takes (see QuestionType)

        def clean_answer(self, question, raw): ...   # the stored answer, or AnswerError
        def form_field(self, question, *, describedby, invalid): ...

and override whatever else differs from the defaults (its words, its FHIR answers, how it is
posted or filled in again). Every module of this package is imported when the package is
(``intake/question_types/__init__.py``), so a new module registers itself; the test that
the registry covers every type the shipped questionnaires use keeps the list honest.
"""

from __future__ import annotations

from typing import TypeVar

from intake.question_types.base import WIDGETS, QuestionType

_TYPES: dict[str, QuestionType] = {}

Registered = TypeVar("Registered", bound=type[QuestionType])


class UnknownQuestionType(LookupError):
    """No question type is registered under this name."""


def register(cls: Registered) -> Registered:
    """Class decorator: register one instance of ``cls`` under ``cls.name``. A name is
    registered once, and the page must know how to draw the type: anything else is a
    programming error, refused at start-up."""
    name = cls.name
    if name in _TYPES:
        raise ValueError(f"question type {name!r} is registered twice")
    if cls.widget not in WIDGETS:
        raise ValueError(f"question type {name!r}: the page cannot draw a {cls.widget!r}")
    _TYPES[name] = cls()
    return cls


def question_type(name: object) -> QuestionType:
    """The type registered under ``name``; ``UnknownQuestionType`` for any other name."""
    kind = _TYPES.get(name) if isinstance(name, str) else None
    if kind is None:
        raise UnknownQuestionType(
            f"unknown question type {name!r} (known: {', '.join(sorted(_TYPES))})"
        )
    return kind


def registered_types() -> dict[str, QuestionType]:
    """Every registered type by name."""
    return dict(_TYPES)
