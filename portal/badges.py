"""A short status in words with its colour: the one shape every app uses for a status badge."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Badge:
    """A short status and its Bootstrap tone (success, warning, danger, secondary, light)."""

    text: str
    tone: str
