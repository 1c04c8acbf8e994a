"""The care team's check-in schedule page: a clinician on the client's care team sets
check-ins (the first opens at once) and stops them; a clinician who may not open the record
gets a 404, as does anyone for a case they are not on; the CSI-4 is offered and accepted
only in a couple case. The client's home says when a check-in waits."""

from __future__ import annotations

import pytest
from django.urls import reverse

from measures.models import CheckIn, CheckInSchedule
from portal.models import User
from tests.helpers import couple_case, signed_in

pytestmark = pytest.mark.django_db


def _url(client: User) -> str:
    return reverse("measures_staff_schedule", args=[client.pk])


def test_the_care_team_sets_and_stops_check_ins(caseload: User, clinician_user: User) -> None:
    http = signed_in(clinician_user)
    record = http.get(reverse("client_profile", args=[caseload.pk])).content.decode()
    assert _url(caseload) in record
    page = http.get(_url(caseload)).content.decode()
    assert "No check-ins are scheduled." in page and "CSI-4" not in page
    saved = http.post(_url(caseload), {"instruments": ["phq9", "gad7"],
                                       "frequency": "fortnightly"})
    assert saved.status_code == 302
    schedule = CheckInSchedule.objects.get(client=caseload, active=True)
    assert (schedule.frequency, schedule.instruments) == ("fortnightly", ["phq9", "gad7"])
    assert CheckIn.objects.filter(schedule=schedule, state="open").count() == 1
    assert "Every 2 weeks: PHQ-9, GAD-7." in http.get(_url(caseload)).content.decode()
    home = signed_in(caseload).get(reverse("client_home")).content.decode()
    assert "A short check-in is waiting" in home
    http.post(_url(caseload), {"action": "end"})
    assert not CheckInSchedule.objects.filter(client=caseload, active=True).exists()


def test_bad_choices_come_back_with_a_message(caseload: User, clinician_user: User) -> None:
    http = signed_in(clinician_user)
    refused = http.post(_url(caseload), {"instruments": ["csi4"], "frequency": "daily"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Please choose from the questionnaires listed." in text
    assert "Please choose how often." in text
    assert not CheckInSchedule.objects.exists()


def test_a_stranger_gets_404(caseload: User, stranger: User) -> None:
    http = signed_in(stranger)
    assert http.get(_url(caseload)).status_code == 404
    assert http.post(_url(caseload), {"instruments": ["phq9"],
                                      "frequency": "weekly"}).status_code == 404
    assert signed_in(caseload).get(_url(caseload)).status_code == 404
    assert not CheckInSchedule.objects.exists()


def test_in_a_couple_case_the_case_team_may_ask_the_csi4(
    caseload: User, clinician_user: User, admin_user: User, other_client_user: User,
    stranger: User,
) -> None:
    case = couple_case(admin_user, caseload, other_client_user, clinician=stranger)
    url = f"{_url(caseload)}?case={case.pk}"
    # Dr. Lee treats the client individually, not in the couple's case.
    assert signed_in(clinician_user).get(url).status_code == 404
    http = signed_in(stranger)
    assert url in http.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "CSI-4" in http.get(url).content.decode()
    http.post(_url(caseload), {"case": str(case.pk), "instruments": ["csi4"],
                               "frequency": "once"})
    check_in = CheckIn.objects.get(client=caseload)
    assert (check_in.case_id, check_in.instruments) == (case.pk, ["csi4"])
