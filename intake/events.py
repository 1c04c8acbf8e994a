"""What the intake announces when a client sends it: each scored instrument's answers,
for the measures over time (``measures``), which keep them as the first point of each
series. A Django signal, so the intake never imports the app that listens: measures
connects its receiver at start-up (``measures.apps``) through ``intake.api``.

The signal is sent inside the submission's transaction: a receiver that fails rolls the
submission back, so an intake is never sent without its scores reaching the series.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.dispatch import Signal

from intake.schema import Questionnaire
from intake.scoring import score

# Every questionnaire version shipped so far carries version 1 of its instruments' items
# and bands (the instrument files, ``intake/instruments``).
EMBEDDED_INSTRUMENT_VERSION = "1"


@dataclass(frozen=True)
class ScoredInstrument:
    """One instrument of a sent intake: its slug and version, each item's answer, the
    total and its band. Clinical content: it travels in memory only, to a receiver that
    stores it encrypted; never logged."""

    instrument: str
    version: str
    items: dict[str, int] = field(repr=False)
    total: int = field(repr=False)
    band: str = field(repr=False)


@dataclass(frozen=True)
class IntakeSent:
    """A client sent an intake (or, for ``submitted_intakes``, had sent it before the
    series existed)."""

    intake_id: uuid.UUID
    client_id: uuid.UUID
    case_id: uuid.UUID | None
    sent_at: datetime
    instruments: tuple[ScoredInstrument, ...]


# Sent with ``event=IntakeSent`` by ``intake.services.intake_submit``.
intake_sent = Signal()


def scored_instruments(questionnaire: Questionnaire,
                       answers: Mapping[str, Any]) -> tuple[ScoredInstrument, ...]:
    """The instruments of ``questionnaire`` that ``answers`` complete, scored by the one
    scoring rule (``intake.scoring.score``): a partly answered instrument is left out, as
    it is from the intake's scores. Decrypts nothing itself: ``answers`` are the caller's."""
    scored = []
    for instrument in questionnaire.instruments:
        result = score(instrument, answers)
        if result is None:
            continue
        version = getattr(instrument, "version", "") or EMBEDDED_INSTRUMENT_VERSION
        scored.append(ScoredInstrument(
            instrument=instrument.id, version=version,
            items={item: answers[item] for item in instrument.items},
            total=result.total, band=result.band,
        ))
    return tuple(scored)


def submitted_intakes() -> Iterator[IntakeSent]:
    """Every sent intake as an ``IntakeSent``, oldest first, for a one-off backfill of the
    series (the measures' data migration). Decrypts each intake's answers under its
    client's key, one key scope per batch; an erased client's intakes (their key destroyed)
    are skipped: nothing of theirs can be read, nor should be. Run by a migration, not by a
    person, so nothing is recorded on the audit trail (no one reads the answers)."""
    from intake.models import Intake, IntakeState
    from portal.crypto.datakeys import key_scope
    from portal.crypto.errors import KeyDestroyedError

    rows = (Intake.objects.filter(state=IntakeState.SUBMITTED)
            .select_related("questionnaire")
            .only("id", "client_id", "case_id", "submitted_at", "updated_at", "answers",
                  "questionnaire__id", "questionnaire__definition")
            .order_by("submitted_at", "id"))
    with key_scope():
        for intake in rows.iterator(chunk_size=200):
            try:
                answers = intake.answers
            except KeyDestroyedError:
                continue
            yield IntakeSent(
                intake_id=intake.id, client_id=intake.client_id, case_id=intake.case_id,
                sent_at=intake.submitted_at or intake.updated_at,
                instruments=scored_instruments(intake.questionnaire.questionnaire, answers),
            )
