"""A reliable deterioration raises one review flag for the care team (not a safety alert),
at the practice's threshold; a clinician clears it, and that is recorded."""

from __future__ import annotations

import pytest

from measures.models import ReviewFlag
from measures.responses import ResponseError, response_record
from measures.review_flags import review_flag_clear
from portal.audit.models import AuditEvent
from portal.models import PracticeSettings, User
from tests.measures.points import check_in_point, items_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("latest", "flagged"), [(12, False), (13, True), (14, True)])
def test_phq9_up_by_the_default_six_points_raises_a_flag(client_user: User, latest: int,
                                                         flagged: bool) -> None:
    check_in_point(client_user, "phq9", 7, days_ago=14)
    response = check_in_point(client_user, "phq9", latest)

    assert ReviewFlag.objects.filter(response=response).exists() is flagged


@pytest.mark.parametrize(("latest", "flagged"), [(8, False), (9, True)])
def test_gad7_up_by_four_raises_a_flag(client_user: User, latest: int, flagged: bool) -> None:
    check_in_point(client_user, "gad7", 5, days_ago=14)
    response = check_in_point(client_user, "gad7", latest)

    assert ReviewFlag.objects.filter(response=response).exists() is flagged


def test_the_practice_threshold_is_used(client_user: User) -> None:
    PracticeSettings.objects.update_or_create(pk=1, defaults={"reliable_change_phq9": 4})
    check_in_point(client_user, "phq9", 7, days_ago=14)

    assert ReviewFlag.objects.filter(response=check_in_point(client_user, "phq9", 11)).exists()


def test_improvement_raises_no_flag(client_user: User) -> None:
    check_in_point(client_user, "phq9", 20, days_ago=14)
    check_in_point(client_user, "phq9", 3)

    assert not ReviewFlag.objects.exists()


def test_one_open_flag_per_series_until_someone_reviews_it(client_user: User,
                                                           clinician_user: User) -> None:
    check_in_point(client_user, "phq9", 5, days_ago=21)
    first = check_in_point(client_user, "phq9", 15, days_ago=14)
    check_in_point(client_user, "phq9", 16, days_ago=7)  # still worse: no second flag
    assert ReviewFlag.objects.count() == 1

    review_flag_clear(flag=ReviewFlag.objects.get(response=first), by=clinician_user)
    review_flag_clear(flag=ReviewFlag.objects.get(response=first), by=clinician_user)
    latest = check_in_point(client_user, "phq9", 17)

    assert ReviewFlag.objects.filter(response=latest, reviewed_at__isnull=True).exists()
    cleared = AuditEvent.objects.filter(action="measures.review_flag_cleared")
    assert [(e.actor_id, e.subject_id) for e in cleared] == [(clinician_user.pk,
                                                               client_user.pk)]


def test_a_partly_answered_instrument_is_not_a_point(client_user: User) -> None:
    from intake.api import current_instrument
    from measures.models import CheckIn

    items = items_for("phq9", 10)
    del items["phq9_9"]
    check_in = CheckIn.objects.create(client=client_user, instruments=["phq9"],
                                      expires_at="2030-01-01T00:00Z")
    with pytest.raises(ResponseError, match="Every PHQ-9 question needs an answer"):
        response_record(client=client_user, case=None, instrument=current_instrument("phq9"),
                        items=items, check_in=check_in, taken_at=check_in.due_at)
