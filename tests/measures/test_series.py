"""The series: an intake's scores become its first points, stored encrypted under the
client's key, read back in a fixed number of queries, and gone with the client's key."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.services import client_erase
from measures.intake_scores import backfill_from_sent_intakes
from measures.models import MeasureResponse, ResponseSource
from measures.responses import ResponseError, response_store
from measures.series import caseload_series, series
from portal.crypto.datakeys import key_scope
from portal.crypto.envelope import is_envelope
from portal.crypto.errors import KeyDestroyedError
from portal.models import User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import key_owner_of, raw_column
from tests.intake_data import filled_draft, submitted_intake

pytestmark = pytest.mark.django_db


def _check_in_point(client: User, instrument: str, total: int, days_ago: int) -> None:
    """A point as if from a check-in, stored through the one writer (a check-in row is
    the source's key, so each point gets its own)."""
    from measures.models import CheckIn

    when = timezone.now() - timedelta(days=days_ago)
    check_in = CheckIn.objects.create(client=client, instruments=[instrument], due_at=when,
                                      expires_at=when + timedelta(days=5))
    response_store(client_id=client.pk, case_id=None, instrument=instrument, version="1",
                   taken_at=when, items={f"{instrument}_1": 1}, total=total, band="Mild",
                   source=ResponseSource.CHECK_IN, check_in=check_in)


def test_sending_an_intake_makes_the_first_point_of_each_series(client_user: User) -> None:
    intake = submitted_intake(client_user, phq9=2, gad7=1, item_9=1)

    phq9 = series(client_user.pk, "phq9")
    gad7 = series(client_user.pk, "gad7")

    assert [(p.total, p.band, p.source) for p in phq9] == [(17, "Moderately severe", "intake")]
    assert [(p.total, p.band) for p in gad7] == [(7, "Mild")]
    assert phq9[0].taken_at == intake.submitted_at
    stored = MeasureResponse.objects.get(intake_id=intake.pk, instrument="phq9")
    assert stored.items == {**{f"phq9_{n}": 2 for n in range(1, 9)}, "phq9_9": 1}


def test_a_draft_makes_no_point(client_user: User) -> None:
    filled_draft(client_user, phq9=3)

    assert series(client_user.pk, "phq9") == []


def test_items_total_and_band_are_ciphertext_under_the_clients_key(client_user: User) -> None:
    submitted_intake(client_user, phq9=2, gad7=3)
    response = MeasureResponse.objects.get(client=client_user, instrument="gad7")

    # A readable word must not be there; every column must be an envelope under the
    # client's key (a two-digit total could appear by chance in random bytes, so the
    # total is proven by its envelope alone).
    for field, plaintext in (("items", b"gad7_1"), ("total", None), ("band", b"Severe")):
        raw = raw_column(MeasureResponse, field, response.pk)
        assert raw is not None and is_envelope(raw), field
        assert plaintext is None or plaintext not in raw, field
        assert key_owner_of(raw) == client_user.pk


def test_erasing_the_client_shreds_their_series(client_user: User, admin_user: User) -> None:
    submitted_intake(client_user, phq9=2)

    client_erase(user=client_user, actor=admin_user)

    with pytest.raises(KeyDestroyedError):
        series(client_user.pk, "phq9")


def test_backfill_adds_each_sent_intake_once_and_skips_erased_clients(
        client_user: User, other_client_user: User, admin_user: User) -> None:
    submitted_intake(client_user, phq9=1)
    submitted_intake(other_client_user, phq9=2)
    MeasureResponse.objects.all().delete()  # as before the series existed
    client_erase(user=other_client_user, actor=admin_user)

    backfill_from_sent_intakes()
    backfill_from_sent_intakes()

    assert [(p.total, p.source) for p in series(client_user.pk, "phq9")] == [(8, "intake")]
    assert not MeasureResponse.objects.filter(client=other_client_user).exists()


def test_a_response_without_items_is_refused(client_user: User) -> None:
    with pytest.raises(ResponseError):
        response_store(client_id=client_user.pk, case_id=None, instrument="phq9", version="1",
                       taken_at=timezone.now(), items={}, total=0, band="Minimal",
                       source=ResponseSource.INTAKE, intake_id=uuid.uuid4())


def test_a_series_is_oldest_first_in_two_queries(client_user: User) -> None:
    for days_ago, total in ((21, 16), (14, 12), (7, 9), (0, 6)):
        _check_in_point(client_user, "phq9", total, days_ago)

    with key_scope(), CaptureQueriesContext(connection) as queries:  # as in a request
        points = series(client_user.pk, "phq9")

    assert [p.total for p in points] == [16, 12, 9, 6]
    assert len(queries) == 2  # the rows, then their data key


def test_a_case_series_is_separate_from_the_individual_one(client_user: User,
                                                           admin_user: User) -> None:
    from tests.factories import couple_case

    partner = UserFactory(role=Role.CLIENT, email="partner@example.com")
    case = couple_case(admin_user, client_user, partner)
    _check_in_point(client_user, "phq9", 12, 3)
    MeasureResponse.objects.filter(client=client_user).update(case=case)

    assert series(client_user.pk, "phq9") == []
    assert [p.total for p in series(client_user.pk, "phq9", case.pk)] == [12]


@pytest.mark.parametrize("clients", [10, 60])
def test_caseload_reads_baseline_and_latest_in_constant_queries(clients: int) -> None:
    people = [UserFactory(role=Role.CLIENT, email=f"c{n}@example.com") for n in range(clients)]
    for person in people:
        for days_ago, total in ((100, 18), (60, 14), (30, 9), (0, 4)):
            _check_in_point(person, "phq9", total, days_ago)

    with key_scope(), CaptureQueriesContext(connection) as queries:  # as in a request
        found = caseload_series([p.pk for p in people], ["phq9", "gad7"], last=2)

    assert len(queries) == 2
    assert len(found) == clients
    row = found[(people[0].pk, "phq9")]
    assert row.baseline.total == 18
    assert [p.total for p in row.recent] == [9, 4]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_makes_points_of_intakes_sent_before_the_series(client_user: User) -> None:
    from tests.migrating import schema_at

    submitted_intake(client_user, phq9=3, gad7=2)
    with schema_at("measures", "0001_measures") as old:
        assert not old.get_model("measures", "MeasureResponse").objects.exists()
    # ... and coming forward (schema_at's exit) makes them again from the sent intake.

    assert [p.total for p in series(client_user.pk, "phq9")] == [24]
    assert [(p.total, p.band) for p in series(client_user.pk, "gad7")] == [(14, "Moderate")]
