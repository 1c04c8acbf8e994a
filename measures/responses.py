"""Writing measure responses: the one place a point joins a client's series.

A response is stored encrypted under the client's data key (items, total, band) with the
plaintext it is found by (client, case, instrument, version, when, where from). Callers
have scored it with the instrument's one scoring rule (``intake.api``); this module never
re-scores and never decides access: the intake's submission and the client's own check-in
call it after their own checks.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from django.db import transaction

from intake.api import InstrumentDefinition
from measures.models import CheckIn, MeasureResponse, ResponseSource
from portal.models import Case, User


class ResponseError(ValueError):
    """A response that cannot be a point of a series (no items, a negative total)."""


@transaction.atomic
def response_store(*, client_id: uuid.UUID, case_id: uuid.UUID | None, instrument: str,
                   version: str, taken_at: datetime, items: Mapping[str, int], total: int,
                   band: str, source: str, intake_id: uuid.UUID | None = None,
                   check_in: CheckIn | None = None) -> MeasureResponse:
    """Store one scored response, sealed under the client's data key (``items``, ``total``
    and ``band`` are clinical content: the client's answers and what they add up to).

    Idempotent per source: the same intake or check-in storing the same instrument again
    (a resent form, the backfill running twice) returns the stored response unchanged, so
    a series never holds the same answers twice. Raises ``ResponseError`` for a response
    no series can hold, ``KeyDestroyedError`` for an erased client (nothing new is stored
    for them)."""
    if not items or total < 0 or not band:
        raise ResponseError("A measure response needs its items, total and band.")
    existing = MeasureResponse.objects.filter(
        instrument=instrument,
        **({"intake_id": intake_id} if source == ResponseSource.INTAKE else
           {"check_in": check_in}),
    ).first()
    if existing is not None:
        return existing
    response = MeasureResponse(
        client_id=client_id, case_id=case_id, instrument=instrument,
        instrument_version=version, taken_at=taken_at, source=source,
        intake_id=intake_id, check_in=check_in,
        items=dict(items), total=total, band=band,
    )
    response.full_clean()
    response.save(force_insert=True)
    return response


@transaction.atomic
def response_record(*, client: User, case: Case | None, instrument: InstrumentDefinition,
                    items: Mapping[str, int], check_in: CheckIn,
                    taken_at: datetime) -> MeasureResponse:
    """A check-in's answers to one instrument become a point of the client's series:
    scored by the instrument's one rule (``InstrumentDefinition.score``: a partly answered
    instrument is refused with ``ResponseError``, never stored as a smaller total), stored
    encrypted under the client's key (``response_store``), and a reliable deterioration
    flagged for the care team (``flag_if_deteriorated``). The caller has checked that the
    check-in is the client's own and holds its row lock."""
    from measures.review_flags import flag_if_deteriorated

    scored = instrument.score(items)
    if scored is None:
        raise ResponseError(f"Every {instrument.title} question needs an answer to be scored.")
    response = response_store(
        client_id=client.pk, case_id=case.pk if case else None, instrument=instrument.slug,
        version=instrument.version, taken_at=taken_at,
        items={item.id: items[item.id] for item in instrument.items},
        total=scored.total, band=scored.band, source=ResponseSource.CHECK_IN,
        check_in=check_in)
    flag_if_deteriorated(response)
    return response
