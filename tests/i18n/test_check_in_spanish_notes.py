"""Check-ins and progress for a Spanish reader: the CSI-4, which has no official Spanish, is
asked in English with the intake's note saying why and its words marked ``lang="en"``; and
every score's band is named in Spanish (a stored score keeps its band in English, for the
record), on the client's progress page and its PDF, and on the clinician's caseload and
trend pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from measures.models import CheckIn
from measures.schedules import schedule_set
from portal.models import Case, User
from tests.helpers import couple_case, pdf_page_texts, signed_in
from tests.i18n.readers import main_of, reads_spanish
from tests.measures.points import check_in_point

pytestmark = pytest.mark.django_db

NOTE_ES = "Este cuestionario solo está disponible en inglés"
NOTE_EN = "This questionnaire is only available in English"
PROGRESS_NOTE_ES = "los nombres de sus niveles de puntuación se muestran en inglés"
CSI4_QUESTION = ("Please indicate the degree of happiness, all things considered, of your "
                 "relationship.")





@pytest.fixture
def couple(caseload: User, other_client_user: User, admin_user: User,
           clinician_user: User) -> Case:
    """``caseload`` (on Dr. Lee's caseload) and a partner in a couple case with Dr. Lee."""
    return couple_case(admin_user, caseload, other_client_user, clinician=clinician_user)


def _csi4_check_in(client: User, case: Case, clinician: User) -> CheckIn:
    schedule = schedule_set(client=client, case=case, instruments=["csi4", "phq9"],
                            frequency="weekly", by=clinician)
    return CheckIn.objects.get(schedule=schedule)


def test_a_spanish_reader_is_told_why_the_csi4_is_in_english(
        caseload: User, couple: Case, clinician_user: User, as_client: Client) -> None:
    reads_spanish(caseload)
    check_in = _csi4_check_in(caseload, couple, clinician_user)

    csi4 = main_of(as_client.get(reverse("measures_check_in_page",
                                       args=[check_in.pk, "csi4"])).content.decode())
    phq9 = main_of(as_client.get(reverse("measures_check_in_page",
                                       args=[check_in.pk, "phq9"])).content.decode())

    assert NOTE_ES in csi4 and NOTE_EN not in csi4
    assert f'<legend class="form-label intake-label" lang="en">{CSI4_QUESTION}</legend>' in csi4
    assert 'lang="en">Extremely Unhappy</label>' in csi4
    assert 'lang="en">Couples Satisfaction Index' in csi4  # the attribution
    assert "Su cuestionario de seguimiento" in csi4  # the page's own words stay Spanish
    # The PHQ-9 has the publisher's Spanish: no note, nothing marked English.
    assert NOTE_ES not in phq9
    assert 'lang="en"' not in phq9


def test_the_review_marks_the_csi4_answers_english(
        caseload: User, couple: Case, clinician_user: User, as_client: Client) -> None:
    reads_spanish(caseload)
    check_in = _csi4_check_in(caseload, couple, clinician_user)
    page = reverse("measures_check_in_page", args=[check_in.pk, "csi4"])
    as_client.post(page, {"revision": check_in.revision, "action": "next", "csi4_1": "3"})

    review = main_of(as_client.get(reverse("measures_check_in_review", args=[check_in.pk])
                                 ).content.decode())

    assert f'<dt lang="en">{CSI4_QUESTION}</dt>' in review
    assert '<dd class="intake-answer-text" lang="en">Happy</dd>' in review
    assert '<dd class="intake-answer-text">Sin responder</dd>' in review


def test_an_english_reader_gets_no_note(
        caseload: User, couple: Case, clinician_user: User, as_client: Client) -> None:
    check_in = _csi4_check_in(caseload, couple, clinician_user)
    page = main_of(as_client.get(reverse("measures_check_in_page", args=[check_in.pk, "csi4"])
                               ).content.decode())
    assert NOTE_EN not in page and 'lang="en"' not in page


def test_a_spanish_readers_progress_names_bands_in_spanish(
        caseload: User, couple: Case, as_client: Client) -> None:
    reads_spanish(caseload)
    for days_ago, total in ((28, 15), (0, 6)):
        check_in_point(caseload, "phq9", total, days_ago=days_ago)
    check_in_point(caseload, "csi4", 10, days_ago=1, case=couple)

    page = main_of(as_client.get(reverse("measures_progress")).content.decode())

    assert "Su puntuación más reciente es 6 de 27 (leve)" in page
    assert "<td>Moderadamente grave</td>" in page and "<td>Leve</td>" in page
    for english in ("Mild", "mild", "Moderately severe"):
        assert english not in page, english
    # The CSI-4: its note, and its bands in English, marked so.
    assert page.count(PROGRESS_NOTE_ES) == 1
    assert ('(<span lang="en">below the cut-off: suggests notable relationship distress'
            '</span>)') in page
    assert ('<td lang="en">Below the cut-off: suggests notable relationship distress</td>'
            in page)

    text = " ".join(pdf_page_texts(as_client.get(reverse("measures_progress_pdf")).content))
    assert "Leve" in text and "Moderadamente grave" in text
    assert "Mild" not in text and "Moderately severe" not in text


def test_a_spanish_reading_clinician_sees_bands_in_spanish(
        caseload: User, clinician_user: User) -> None:
    for days_ago, total in ((28, 15), (0, 6)):
        check_in_point(caseload, "phq9", total, days_ago=days_ago)
    http = signed_in(reads_spanish(clinician_user))

    listing = main_of(http.get(reverse("measures_caseload")).content.decode())
    trend = main_of(http.get(reverse("measures_staff_trend", args=[caseload.pk])
                           ).content.decode())

    assert "<strong>6</strong> Leve" in listing
    assert "Mild" not in listing
    assert "<td>Leve</td>" in trend and "<td>Moderadamente grave</td>" in trend
    assert "Mild" not in trend and "Moderately severe" not in trend


def test_an_english_reader_keeps_the_english_bands(
        caseload: User, as_client: Client) -> None:
    check_in_point(caseload, "phq9", 6)
    page = main_of(as_client.get(reverse("measures_progress")).content.decode())
    assert "Your latest score is 6 out of 27 (mild)" in page
    assert "<td>Mild</td>" in page and 'lang="en"' not in page
