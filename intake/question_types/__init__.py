"""Question types: one small class per type, found by name through the registry.

See ``intake.question_types.registry`` for why this is the one place a type is defined and
how to add one. Importing this package imports each of its modules, so every type defined
here is registered before anyone asks for it.
"""

from __future__ import annotations

import importlib
import pkgutil

from intake.question_types.base import AnswerError, QuestionType
from intake.question_types.registry import (
    UnknownQuestionType,
    question_type,
    register,
    registered_types,
)

__all__ = [
    "AnswerError",
    "QuestionType",
    "UnknownQuestionType",
    "question_type",
    "register",
    "registered_types",
]


def _import_every_type_module() -> None:
    """Import the package's modules: each registers the types it defines (a new type
    needs no line here)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_import_every_type_module()
