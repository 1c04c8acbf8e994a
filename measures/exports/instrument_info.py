"""What the exports read of an instrument, as structural types.

The instrument definitions live in the intake (``intake.api``: ``current_instrument`` and
``instrument_version`` return an ``InstrumentDefinition``). The exports need only a few of
its attributes, so they name those here as ``typing.Protocol``s: any object with them will
do (the intake's definition, or a small dataclass in a test), and this package does not
import how the intake parses its files. Every member is a read-only property, so a frozen
dataclass (read-only fields, tuples for sequences) satisfies the protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

HIGHER_IS_WORSE = "higher_is_worse"  # PHQ-9, GAD-7: a higher total, more symptoms
HIGHER_IS_BETTER = "higher_is_better"  # CSI-4: a higher total, more satisfaction


class OptionInfo(Protocol):
    """One published answer of an item: its stored value (the weight summed) and words."""

    @property
    def value(self) -> str | int: ...

    @property
    def label(self) -> str: ...


class ItemInfo(Protocol):
    """One scored item: the id its answer is stored under, its words, its answers."""

    @property
    def id(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def options(self) -> Sequence[OptionInfo]: ...


class BandInfo(Protocol):
    """A range of totals and what the instrument calls it (``Mild``: 5 to 9)."""

    @property
    def minimum(self) -> int: ...

    @property
    def maximum(self) -> int: ...

    @property
    def label(self) -> str: ...


class LoincInfo(Protocol):
    """The LOINC codes of the instrument's total score and of its panel."""

    @property
    def total(self) -> str: ...

    @property
    def panel(self) -> str: ...


class InstrumentInfo(Protocol):
    """One version of an instrument, as the exports read it."""

    @property
    def slug(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def attribution(self) -> str: ...

    @property
    def items(self) -> Sequence[ItemInfo]: ...

    @property
    def bands(self) -> Sequence[BandInfo]: ...

    @property
    def min_total(self) -> int: ...

    @property
    def max_total(self) -> int: ...

    @property
    def direction(self) -> str: ...

    @property
    def loinc(self) -> LoincInfo | None: ...
