"""Which instruments a check-in may ask, in which order, for which record; and which of an
instrument's words a page marks as written in another language than the reader's.

The instruments themselves (items, scoring, bands, safety rule) are the intake's, read
through ``intake.api`` (the declared seam): ``CHECK_IN_INSTRUMENTS`` names them in the order
a check-in asks them. The CSI-4 is about a relationship: asked of a partner in a couple case
only.
"""

from __future__ import annotations

from intake.api import CHECK_IN_INSTRUMENTS, InstrumentDefinition
from portal.models import Case

COUPLE_ONLY: frozenset[str] = frozenset({"csi4"})


def allowed_instruments(case: Case | None) -> tuple[str, ...]:
    """The instruments a check-in of this record may ask: the CSI-4 only in a couple
    case."""
    couple = case is not None and case.kind == "couple"
    return tuple(slug for slug in CHECK_IN_INSTRUMENTS if couple or slug not in COUPLE_ONLY)


def in_check_in_order(slugs: list[str]) -> list[str]:
    """``slugs`` without repeats, in the order a check-in asks them."""
    chosen = set(slugs)
    return [slug for slug in CHECK_IN_INSTRUMENTS if slug in chosen]


def language_to_mark(text_language: str, definition: InstrumentDefinition) -> str:
    """The ``lang`` a page puts on a text of ``definition`` shown in ``text_language``: ""
    when it is the reader's (the language the definition was read in), else that language.
    An instrument with no official translation into the reader's language is shown in
    English, word for word (the CSI-4 to a Spanish reader)."""
    return "" if text_language == definition.language else text_language
