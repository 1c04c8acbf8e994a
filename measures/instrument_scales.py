"""An instrument's definition (the intake's, through ``intake.api``) as the measures draw and
judge it: a ``Scale`` with the practice's own reliable-change thresholds where it sets
them (PHQ-9 and GAD-7, Practice settings), the instrument's defaults otherwise."""

from __future__ import annotations

from intake.api import InstrumentDefinition, current_instrument, instrument_version
from measures.instruments import language_to_mark
from measures.scales import Scale, ScaleBand
from portal.models import PracticeSettings

# The practice's setting that overrides an instrument's reliable-change default.
PRACTICE_RELIABLE_CHANGE = {"phq9": "reliable_change_phq9", "gad7": "reliable_change_gad7"}


def scale_for(definition: InstrumentDefinition, practice: PracticeSettings) -> Scale:
    """The ``Scale`` of ``definition``: its range, bands (named in the language the
    definition was read in, each marked with its own where it has no such translation),
    direction and cut-off, and its change rules with the practice's reliable-change
    threshold where it has one."""
    rules = definition.change
    setting = PRACTICE_RELIABLE_CHANGE.get(definition.slug)
    reliable = getattr(practice, setting) if setting else rules.reliable_change
    cutoff = definition.cutoff
    return Scale(
        slug=definition.slug, title=definition.title,
        min_total=definition.min_total, max_total=definition.max_total,
        bands=tuple(ScaleBand(b.minimum, b.maximum, b.label,
                              language_to_mark(b.language_of("label"), definition))
                    for b in definition.bands),
        direction=definition.direction,
        cutoff=cutoff.value if cutoff else None, cutoff_label=cutoff.label if cutoff else "",
        reliable_change=reliable,
        response_drop_percent=rules.response_drop_percent,
        remission_below=rules.remission_below,
    )


def current_scale(slug: str, practice: PracticeSettings | None = None) -> Scale:
    """The scale of the instrument's current version (raises ``UnknownInstrument``)."""
    return scale_for(current_instrument(slug), practice or PracticeSettings.load())


def definition_of(slug: str, version: str) -> InstrumentDefinition:
    """The stored version an answer was given to (raises ``UnknownInstrument``)."""
    return instrument_version(slug, version)
