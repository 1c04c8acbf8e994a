"""Points of a series made the way a completed check-in makes them (``response_record``
with the current instrument's definition), at chosen times and totals."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from demo.measure_stories import items_for
from intake.api import current_instrument
from measures.models import CheckIn, MeasureResponse
from measures.responses import response_record
from portal.models import Case, User


def check_in_point(client: User, slug: str, total: int, *, days_ago: float = 0,
                   case: Case | None = None, when: datetime | None = None) -> MeasureResponse:
    """A completed check-in's point on ``slug`` with ``total``, taken ``days_ago``."""
    taken = when or timezone.now() - timedelta(days=days_ago)
    check_in = CheckIn.objects.create(client=client, case=case, instruments=[slug],
                                      due_at=taken, expires_at=taken + timedelta(days=5))
    return response_record(client=client, case=case, instrument=current_instrument(slug),
                           items=items_for(slug, total), check_in=check_in, taken_at=taken)
