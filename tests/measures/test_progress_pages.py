"""The client's own progress: their scores in kind words with the chart and table, a PDF
copy, only their own; and, where the practice keeps scores for the session, the dates
they checked in and no score at all."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.models import PracticeSettings, User
from tests.helpers import pdf_page_texts, signed_in
from tests.measures.points import check_in_point

pytestmark = pytest.mark.django_db


def test_a_client_sees_their_own_trend_in_kind_words(client_user: User,
                                                     other_client_user: User,
                                                     as_client: Client) -> None:
    for days_ago, total in ((28, 15), (14, 10), (0, 6)):
        check_in_point(client_user, "phq9", total, days_ago=days_ago)
    check_in_point(other_client_user, "gad7", 19)

    page = as_client.get(reverse("measures_progress")).content.decode()

    assert "Lower scores mean fewer symptoms." in page
    assert "Your latest score is 6 out of 27" in page and "your first was 15" in page
    assert page.count('class="trend-point') == 3
    assert "GAD-7" not in page  # the other client's scores are theirs alone


def test_the_pdf_copy_has_the_scores_and_is_recorded(client_user: User,
                                                     as_client: Client) -> None:
    check_in_point(client_user, "gad7", 12, days_ago=14)
    check_in_point(client_user, "gad7", 7)

    download = as_client.get(reverse("measures_progress_pdf"))

    text = " ".join(pdf_page_texts(download.content))
    assert download["Content-Type"] == "application/pdf"
    assert "12 out of 21" in text and "7 out of 21" in text
    exported = AuditEvent.objects.get(action="measures.exported")
    assert (exported.actor_id, exported.subject_id) == (client_user.pk, client_user.pk)


def test_with_scores_kept_for_the_session_the_client_sees_only_when(
        client_user: User, as_client: Client) -> None:
    PracticeSettings.objects.update_or_create(pk=1, defaults={"clients_see_scores": False})
    check_in_point(client_user, "phq9", 17)

    page = as_client.get(reverse("measures_progress")).content.decode()

    assert "go through your check-ins with you in your sessions" in page
    assert "17 out of" not in page and "Moderately severe" not in page
    assert as_client.get(reverse("measures_progress_pdf")).status_code == 404


def test_staff_have_no_progress_page(clinician_user: User) -> None:
    http = signed_in(clinician_user)
    assert http.get(reverse("measures_progress")).status_code == 404
    assert http.get(reverse("measures_progress_pdf")).status_code == 404


def test_no_scores_yet_says_so(as_client: Client) -> None:
    page = as_client.get(reverse("measures_progress")).content.decode()

    assert "You have no scores yet" in page
    assert as_client.get(reverse("measures_progress_pdf")).status_code == 404
