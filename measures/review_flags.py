"""Review flags: a reliable deterioration on an instrument, for the care team to look at.

Raised when a new point of a series crosses the practice's reliable-change rule for the
worse, compared with the first score (``measures.change.assess``); at most one open flag
per series, so a client who stays worse is not flagged again every week until someone has
looked. Not a safety alert: no email, a mark on the caseload and the trend page that a
clinician clears by saying they have reviewed it (audited).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from measures.change import assess
from measures.instrument_scales import current_scale
from measures.models import MeasureResponse, ReviewFlag
from measures.scales import Point
from measures.series import series
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import User


def open_flags() -> QuerySet[ReviewFlag]:
    """Every review flag no one has marked reviewed yet."""
    return ReviewFlag.objects.filter(reviewed_at__isnull=True)


@transaction.atomic
def flag_if_deteriorated(response: MeasureResponse) -> ReviewFlag | None:
    """Raise a review flag on ``response`` when it is the latest point of its series and
    the series, judged from its first score by the instrument's scale and the practice's
    threshold, has reliably deteriorated; unless the series already has an open flag.
    Decrypts the series (the caller is storing a point of it: no person reads it here, so
    nothing is recorded). Returns the new flag, or None."""
    record = (Q(case__isnull=True) if response.case_id is None
              else Q(case_id=response.case_id))
    if open_flags().filter(record, client_id=response.client_id,
                           response__instrument=response.instrument).exists():
        return None
    points = series(response.client_id, response.instrument, response.case_id)
    if not points or points[-1].id != response.id:
        return None
    change = assess(current_scale(response.instrument),
                    [Point(p.taken_at, p.total, p.band) for p in points])
    if not change.deteriorated:
        return None
    flag = ReviewFlag(client_id=response.client_id, case_id=response.case_id,
                      response=response, raised_at=timezone.now())
    flag.full_clean()
    flag.save(force_insert=True)
    return flag


@transaction.atomic
def review_flag_clear(*, flag: ReviewFlag, by: User) -> ReviewFlag:
    """A clinician who may open the client's record (the caller checked, through the
    measures' access helper: a stranger gets a 404 first) says they have reviewed the
    deterioration: the flag closes, with who and when, and ``measures.review_flag_cleared``
    is recorded (ids only). Clearing a cleared flag changes nothing and records nothing."""
    flag = ReviewFlag.objects.select_for_update().get(pk=flag.pk)
    if flag.reviewed_at is not None:
        return flag
    flag.reviewed_at = timezone.now()
    flag.reviewed_by = by
    flag.full_clean()
    flag.save(update_fields=["reviewed_at", "reviewed_by"])
    record_event(Action.MEASURES_REVIEW_FLAG_CLEARED, actor=by, subject=flag.client_id,
                 target=flag)
    return flag
