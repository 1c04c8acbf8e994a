"""What a person types, made fit to keep: the one rule every free-text form applies.

Control characters (all but tab, line feed and carriage return) never belong in typed text:
browsers cannot type them, but a hostile or broken client can post them, and they would
then travel into PDFs, exports and terminals. They are removed, as the intake's answers
already do (``intake.answers``). A required text must also show something: a value made
only of spaces, zero-width or direction marks and the like would look empty on every page
that shows it, so it counts as missing.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Letters, marks, numbers, punctuation and symbols: what a reader can see.
_VISIBLE_CATEGORIES = frozenset("LMNPS")


def without_control_characters(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)


def visible_length(text: str) -> int:
    """How many characters of ``text`` a reader can see."""
    return sum(unicodedata.category(ch)[0] in _VISIBLE_CATEGORIES for ch in text)


def has_visible_text(text: str) -> bool:
    """Whether a reader can see anything of ``text``: ``visible_length`` above zero, found
    at the first visible character rather than by counting them all (an autosave asks
    this of every text answer on the page)."""
    return any(unicodedata.category(ch)[0] in _VISIBLE_CATEGORIES for ch in text)


def has_letter(text: str) -> bool:
    """Whether ``text`` holds a letter (of any script): what a typed name must have."""
    return any(ch.isalpha() for ch in text)


class TypedTextField(forms.CharField):
    """A ``CharField`` for text a person types: control characters removed before any
    check (so limits and "required" see what will be stored), and, when required,
    refused as missing if nothing visible is left."""

    def to_python(self, value: Any) -> str | None:
        if isinstance(value, str):
            value = without_control_characters(value)
        return super().to_python(value)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if self.required and not has_visible_text(value):
            raise forms.ValidationError(self.error_messages["required"], code="required")
