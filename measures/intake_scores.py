"""An intake's scores become the first points of the client's series: the receiver of the
intake's ``intake_sent`` signal (connected in ``measures.apps``), and the backfill that does
the same for intakes sent before the series existed (the data migration
``0002_series_from_sent_intakes``)."""

from __future__ import annotations

from typing import Any

from intake.api import IntakeSent, submitted_intakes
from measures.models import MeasureResponse, ResponseSource
from measures.responses import response_store


def store_intake_scores(event: IntakeSent) -> list[MeasureResponse]:
    """One ``MeasureResponse`` per instrument the sent intake completed, taken at the time
    it was sent, under the client's key. Runs inside the submission's transaction, so the
    intake and its points are stored together or not at all. Returns the points (stored
    now, or already)."""
    return [
        response_store(
            client_id=event.client_id, case_id=event.case_id, instrument=scored.instrument,
            version=scored.version, taken_at=event.sent_at, items=scored.items,
            total=scored.total, band=scored.band, source=ResponseSource.INTAKE,
            intake_id=event.intake_id,
        )
        for scored in event.instruments
    ]


def on_intake_sent(sender: Any, *, event: IntakeSent, **kwargs: Any) -> None:
    """The ``intake_sent`` receiver: the points, and a review flag if a later intake shows
    reliable deterioration since the first score (``flag_if_deteriorated``)."""
    from measures.review_flags import flag_if_deteriorated

    for response in store_intake_scores(event):
        flag_if_deteriorated(response)


def backfill_from_sent_intakes() -> int:
    """Store the points of every intake sent before the series existed; points already
    stored are kept as they are (``response_store`` is idempotent per intake and
    instrument), so running it twice adds nothing. An erased client's intakes are skipped
    (``submitted_intakes``). Returns the number of points seen."""
    return sum(len(store_intake_scores(event)) for event in submitted_intakes())
