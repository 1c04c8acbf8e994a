"""The staff pages of the measures: the caseload (worsening first, a fixed number of
queries however many clients, each opening recorded on each client's trail), one client's
trends (chart, table, change in named rules), marking a worsening reviewed, and the FHIR
download. A stranger gets a 404 everywhere."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from measures.models import ReviewFlag
from portal.audit.models import AuditEvent
from portal.models import CareAssignment, User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import queries_of_a_second_call, reauthenticate, signed_in
from tests.measures.points import check_in_point

pytestmark = pytest.mark.django_db


def _falling_phq9(client: User) -> None:
    for days_ago, total in ((42, 18), (28, 14), (14, 11), (0, 8)):
        check_in_point(client, "phq9", total, days_ago=days_ago)


def test_the_trend_shows_the_chart_the_table_and_the_change_rule_met(
        caseload: User, as_clinician: Client, clinician_user: User) -> None:
    _falling_phq9(caseload)

    page = as_clinician.get(reverse("measures_staff_trend", args=[caseload.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="trend-point') == 4
    assert "<title" in html and "PHQ-9" in html
    assert "Response:" in html  # 18 to 8: down by more than half, the rule named
    assert '<td>8</td>' in html and '<td>18</td>' in html
    viewed = AuditEvent.objects.filter(action="measures.trend_viewed")
    assert [(e.actor_id, e.subject_id) for e in viewed] == [(clinician_user.pk, caseload.pk)]


def test_a_stranger_and_the_client_get_a_404(caseload: User, stranger: User,
                                             client: Client) -> None:
    _falling_phq9(caseload)
    flag_url = reverse("measures_flag_reviewed", args=[caseload.pk, caseload.pk])
    urls = [reverse("measures_staff_trend", args=[caseload.pk]),
            reverse("measures_staff_fhir", args=[caseload.pk])]

    for user in (stranger, caseload):
        http = signed_in(user, reauthenticated=user is stranger)
        for url in urls:
            assert http.get(url).status_code == 404, (user.email, url)
        assert http.post(flag_url).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="measures.").exists()


def test_a_worsening_is_flagged_first_on_the_caseload_and_cleared_once_reviewed(
        caseload: User, clinician_user: User, as_clinician: Client) -> None:
    calm = UserFactory(role=Role.CLIENT, email="calm@example.com")
    CareAssignment.objects.create(client=calm, clinician=clinician_user)
    _falling_phq9(calm)
    check_in_point(caseload, "phq9", 4, days_ago=30)
    check_in_point(caseload, "phq9", 15, days_ago=3)
    flag = ReviewFlag.objects.get()

    rows = as_clinician.get(reverse("measures_caseload")).content.decode()
    assert rows.index("client@example.com") < rows.index("calm@example.com")
    assert "Worsened: review" in rows

    done = as_clinician.post(reverse("measures_flag_reviewed", args=[caseload.pk, flag.pk]))
    again = as_clinician.post(reverse("measures_flag_reviewed", args=[caseload.pk, flag.pk]))

    assert done.status_code == again.status_code == 302
    flag.refresh_from_db()
    assert flag.reviewed_by == clinician_user
    assert AuditEvent.objects.filter(action="measures.review_flag_cleared").count() == 1


def test_the_caseload_can_be_sorted_by_name(caseload: User, clinician_user: User,
                                            as_clinician: Client) -> None:
    first = UserFactory(role=Role.CLIENT, email="aaron@example.com")
    CareAssignment.objects.create(client=first, clinician=clinician_user)
    check_in_point(first, "gad7", 3)
    check_in_point(caseload, "gad7", 15)

    by_name = as_clinician.get(reverse("measures_caseload"), {"sort": "name"}).content.decode()
    by_gad7 = as_clinician.get(reverse("measures_caseload"), {"sort": "gad7"}).content.decode()
    hostile = as_clinician.get(reverse("measures_caseload"), {"sort": "<script>"})

    assert by_name.index("aaron@") < by_name.index("client@example.com")
    assert by_gad7.index("client@example.com") < by_gad7.index("aaron@")
    assert hostile.status_code == 200 and b"<script>" not in hostile.content


def test_the_caseload_lists_only_the_clinicians_own_clients(caseload: User,
                                                            stranger: User) -> None:
    check_in_point(caseload, "phq9", 9)

    page = signed_in(stranger).get(reverse("measures_caseload")).content.decode()

    assert "client@example.com" not in page
    assert not AuditEvent.objects.filter(action="measures.caseload_viewed").exists()


@pytest.mark.parametrize("clients", [10, 60])
def test_the_caseload_takes_the_same_queries_for_10_and_60_clients(
        clinician_user: User, clients: int, django_assert_max_num_queries: object) -> None:
    people = [UserFactory(role=Role.CLIENT, email=f"c{n:03}@example.com")
              for n in range(clients)]
    for person in people:
        CareAssignment.objects.create(client=person, clinician=clinician_user)
        check_in_point(person, "phq9", 12, days_ago=30)
        check_in_point(person, "phq9", 6, days_ago=1)
        check_in_point(person, "gad7", 10, days_ago=1)
    http = signed_in(clinician_user)
    page, queries = queries_of_a_second_call(lambda: http.get(reverse("measures_caseload")))

    assert page.status_code == 200
    assert page.content.decode().count("<svg class=\"sparkline\"") == 2 * clients
    assert len(queries) == CASELOAD_QUERIES
    viewed = AuditEvent.objects.filter(action="measures.caseload_viewed")
    assert viewed.count() == 2 * clients  # one per client, each of the two openings


# The caseload's queries, the same for any number of clients (session, user, permissions
# and roles in one, the instruments, the clients, their points and data keys, the flags, the
# schedules, the audit batch; the practice's settings come from the shared copy).
CASELOAD_QUERIES = 22


def test_the_fhir_download_asks_for_the_password_and_validates(
        caseload: User, clinician_user: User) -> None:
    _falling_phq9(caseload)
    url = reverse("measures_staff_fhir", args=[caseload.pk])

    http = signed_in(clinician_user)
    assert http.get(url).status_code == 302  # to re-authentication first
    reauthenticate(http)
    download = http.get(url)

    data = json.loads(download.content)
    Bundle.model_validate(data)  # valid FHIR R4B
    observations = [e["resource"] for e in data["entry"]
                    if e["resource"]["resourceType"] == "Observation"]
    assert [o["valueInteger"] for o in observations] == [18, 14, 11, 8]
    assert {c["code"] for o in observations for c in o["code"]["coding"]} == {"44261-6"}
    assert AuditEvent.objects.filter(action="measures.exported").count() == 1
