"""Measures over time in Spanish: a client who reads Spanish sees their progress, its PDF,
their check-ins and the check-in's pages in Spanish, and gets the reminder email in
Spanish; a clinician who reads Spanish sees the caseload and a client's trend in Spanish.
Dates are left to the date filters' own tests; these look at the words."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from measures.models import CheckIn
from measures.queue import send_check_in_reminders
from measures.schedules import schedule_set
from portal.models import User
from tests.helpers import delivered_mail, mail_body, pdf_page_texts, signed_in
from tests.i18n.readers import main_of, reads_spanish
from tests.measures.points import check_in_point

pytestmark = pytest.mark.django_db





def test_a_spanish_reader_sees_their_progress_and_its_pdf_in_spanish(
        client_user: User, as_client: Client) -> None:
    reads_spanish(client_user)
    for days_ago, total in ((28, 15), (0, 6)):
        check_in_point(client_user, "phq9", total, days_ago=days_ago)

    html = as_client.get(reverse("measures_progress")).content.decode()
    page = main_of(html)

    assert '<html lang="es">' in html
    for words in ("Mi progreso", "Una puntuación más baja significa menos síntomas.",
                  "Su puntuación más reciente es 6 de 27", "la primera fue 15",
                  "Puntuaciones del PHQ-9 a lo largo del tiempo", "Cambio desde la primera",
                  "Descargar una copia (PDF)"):
        assert words in page, words
    for english in ("My progress", "Your latest score", "scores over time", "Change from first",
                    "Lower scores"):
        assert english not in page, english

    download = as_client.get(reverse("measures_progress_pdf"))

    text = " ".join(pdf_page_texts(download.content))
    for words in ("Su progreso: PHQ-9", "Preparado para", "Esto no es un diagnóstico.",
                  "6 de 27", "Fecha Puntuación Nivel"):
        assert words in text, words
    for english in ("Your progress", "Prepared for", "out of", "not a diagnosis"):
        assert english not in text, english


def test_a_spanish_reader_checks_in_in_spanish_and_is_reminded_in_spanish(
        caseload: User, clinician_user: User, as_client: Client) -> None:
    reads_spanish(caseload)
    schedule_set(client=caseload, case=None, instruments=["phq9", "gad7"], frequency="weekly",
                 by=clinician_user)
    check_in = CheckIn.objects.get(client=caseload)

    html = as_client.get(reverse("measures_check_ins")).content.decode()
    listing = main_of(html)
    page = main_of(as_client.get(reverse("measures_check_in_page", args=[check_in.pk, "phq9"])
                               ).content.decode())

    assert '<html lang="es">' in html
    for words in ("Sus cuestionarios de seguimiento", "Comenzar el cuestionario",
                  "Disponible hasta el", "Recordatorios por correo electrónico",
                  "Pausar los recordatorios"):
        assert words in listing, words
    for english in ("Your check-ins", "Start the check-in", "Open until", "Pause reminders"):
        assert english not in listing, english
    for words in ("Paso 1 de 3", "Su cuestionario de seguimiento", "Siguiente",
                  "Prefiero no responder hoy"):
        assert words in page, words
    assert "Step 1 of 3" not in page and "rather not answer" not in page

    assert send_check_in_reminders() == 1
    [reminder] = delivered_mail()
    body = mail_body(reminder)
    assert "tiene un breve cuestionario de seguimiento pendiente" in str(reminder.subject)
    assert "Inicie sesión en el portal para comenzar:" in body
    assert "Hola:" in body
    assert reverse("measures_check_in", args=[check_in.pk]) in body
    assert "check-in" not in f"{reminder.subject} {body}".replace(
        reverse("measures_check_in", args=[check_in.pk]), "")


def test_a_spanish_reading_clinician_sees_the_caseload_and_a_trend_in_spanish(
        caseload: User, clinician_user: User) -> None:
    for days_ago, total in ((28, 15), (0, 6)):
        check_in_point(caseload, "phq9", total, days_ago=days_ago)
    http = signed_in(reads_spanish(clinician_user))

    html = http.get(reverse("measures_caseload")).content.decode()
    listing = main_of(html)
    trend = main_of(http.get(reverse("measures_staff_trend", args=[caseload.pk])
                           ).content.decode())

    assert '<html lang="es">' in html
    for words in ("Puntuaciones a lo largo del tiempo", "Ordenar por",
                  "1 cliente, en este orden: primero quienes necesitan atención.",
                  "Requiere revisión", "baja 9", "Próximo seguimiento"):
        assert words in listing, words
    for english in ("Scores over time", "Sort by", "Needs review", "down 9", "1 client,"):
        assert english not in listing, english
    for words in ("Cómo se evalúa el cambio", "Respuesta:", "Mejoría confiable:",
                  "PHQ-9 baja 9 puntos desde la primera puntuación",
                  "Puntuaciones del PHQ-9, de la más antigua a la más reciente"):
        assert words in trend, words
    for english in ("How change is judged", "Reliable improvement", "points from the first",
                    "oldest first"):
        assert english not in trend, english
