"""Points of a series made the way a completed check-in makes them (``response_record``
with the current instrument's definition), at chosen times and totals."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from intake.api import current_instrument
from measures.models import CheckIn, MeasureResponse
from measures.responses import response_record
from portal.models import Case, User


def items_for(slug: str, total: int) -> dict[str, int]:
    """Answers to every item of ``slug`` adding up to ``total`` (lowest items first)."""
    definition = current_instrument(slug)
    answers: dict[str, int] = {}
    left = total - definition.min_total
    for question, (low, high) in zip(definition.items, definition.scale.ranges(), strict=True):
        step = min(high - low, left)
        answers[question.id] = low + step
        left -= step
    if left:
        raise ValueError(f"{slug} cannot total {total}")
    return answers


def check_in_point(client: User, slug: str, total: int, *, days_ago: float = 0,
                   case: Case | None = None, when: datetime | None = None) -> MeasureResponse:
    """A completed check-in's point on ``slug`` with ``total``, taken ``days_ago``."""
    taken = when or timezone.now() - timedelta(days=days_ago)
    check_in = CheckIn.objects.create(client=client, case=case, instruments=[slug],
                                      due_at=taken, expires_at=taken + timedelta(days=5))
    return response_record(client=client, case=case, instrument=current_instrument(slug),
                           items=items_for(slug, total), check_in=check_in, taken_at=taken)
