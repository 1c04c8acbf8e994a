"""Measures over time in the demo practice: one client whose PHQ-9 and GAD-7 fell over six
months of fortnightly check-ins (response, then remission), and one whose scores rose over
three months of weekly check-ins (a reliable deterioration waiting on the caseload).

Each client sends their intake through the intake's own services (its scores are the
first points), then the intake and its points are moved back in time, and each check-in
is stored as a completed one through ``measures.responses.response_record``, the path a
real check-in takes: encrypted under the client's key, scored by the instrument's one
rule, flagged when it worsens reliably. Safe to run again: a client who has check-in
scores already is left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from intake.api import current_instrument
from intake.models import Intake
from measures.models import CheckIn, CheckInState, MeasureResponse, ResponseSource
from measures.responses import response_record
from portal.models import User


def items_for(slug: str, total: int) -> dict[str, int]:
    """Answers to every item of instrument ``slug`` adding up to ``total``, the lowest
    items filled first (a plausible, not a clinical, pattern)."""
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


@dataclass(frozen=True)
class History:
    """Check-in totals, oldest first, every ``every_days`` after the intake, which was
    sent ``weeks_ago``."""

    weeks_ago: int
    every_days: int
    phq9: tuple[int, ...]
    gad7: tuple[int, ...]


# Six months, fortnightly: PHQ-9 from 16 at intake to 4 (response, then remission); GAD-7
# from 14 to 4.
IMPROVING = History(weeks_ago=26, every_days=14,
                    phq9=(15, 14, 13, 12, 10, 9, 8, 7, 6, 6, 5, 4),
                    gad7=(14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 5, 4))
# Three months, weekly: PHQ-9 from 7 at intake to 15, GAD-7 from 6 to 12 (both reliable
# deterioration by the default rules: 6 and 4 points).
WORSENING = History(weeks_ago=12, every_days=7,
                    phq9=(7, 8, 8, 9, 10, 10, 11, 12, 13, 14, 15),
                    gad7=(6, 6, 7, 8, 8, 9, 10, 10, 11, 12, 12))


def _move_intake_back(client: User, sent_at: Any) -> None:
    """The client's sent intake and its points, as if sent at ``sent_at`` (plaintext
    times only; nothing encrypted is touched)."""
    intake = Intake.objects.filter(client=client, state="submitted").order_by(
        "submitted_at").first()
    if intake is None:
        return
    Intake.objects.filter(pk=intake.pk).update(submitted_at=sent_at, created_at=sent_at,
                                               updated_at=sent_at)
    MeasureResponse.objects.filter(intake_id=intake.pk).update(taken_at=sent_at)


def play_history(client: User, history: History) -> None:
    """The client's check-ins of ``history`` after their sent intake, once."""
    if MeasureResponse.objects.filter(client=client, source=ResponseSource.CHECK_IN).exists():
        return
    now = timezone.now()
    sent_at = now - timedelta(weeks=history.weeks_ago)
    _move_intake_back(client, sent_at)
    definitions = {slug: current_instrument(slug) for slug in ("phq9", "gad7")}
    for number, totals in enumerate(zip(history.phq9, history.gad7, strict=True), start=1):
        taken = sent_at + timedelta(days=history.every_days * number, hours=2)
        if taken > now:
            break
        check_in = CheckIn.objects.create(
            client=client, instruments=["phq9", "gad7"], due_at=taken - timedelta(hours=2),
            expires_at=taken + timedelta(days=5), state=CheckInState.COMPLETED,
            completed_at=taken)
        for slug, total in zip(("phq9", "gad7"), totals, strict=True):
            response_record(client=client, case=None, instrument=definitions[slug],
                            items=items_for(slug, total), check_in=check_in, taken_at=taken)
