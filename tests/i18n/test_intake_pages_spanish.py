"""The intake in Spanish for a person who reads Spanish (``User.language = "es"``): the
client's overview, a page's buttons, the autosave's message, the review, the confirmation
email; and the staff intake list for a clinician who reads Spanish. Through the real pages,
signed in for real. The questionnaire's own words come from its definition and are not
looked at here."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Intake
from intake.services import intake_start
from portal.models import User
from tests.helpers import delivered_mail, mail_body, sign_in
from tests.i18n.readers import reads_spanish
from tests.intake_data import filled_draft

pytestmark = pytest.mark.django_db



def _page(http: Client, url: str) -> str:
    response = http.get(url)
    assert response.status_code == HTTPStatus.OK, response.status_code
    page = response.content.decode()
    assert '<html lang="es">' in page
    return page


def test_a_spanish_reading_client_sees_their_intake_in_spanish(client: Client,
                                                               client_user: User) -> None:
    sign_in(client, reads_spanish(client_user))

    home = _page(client, reverse("intake_home"))
    assert "Antes de empezar" in home
    assert "Sus respuestas se guardan a medida que avanza." in home
    assert ">Comenzar</button>" in home
    assert "Before you begin" not in home and ">Start</button>" not in home

    response = client.post(reverse("intake_home"))
    assert response.status_code == HTTPStatus.FOUND
    intake = Intake.objects.get(client=client_user)
    page = _page(client, response["Location"])
    assert "Paso 1 de" in page
    assert ">Siguiente</button>" in page and "Guardar y terminar más tarde" in page
    assert "Save and finish later" not in page and "Step 1 of" not in page
    # The page's script takes its words from the JavaScript catalog, in Spanish.
    catalog = client.get(reverse("javascript_catalog")).content.decode()
    assert "Guardado a las %(time)s." in catalog

    refused = client.post(reverse("intake_autosave", args=[intake.id]),
                          {"section": "no-such-page", "revision": intake.revision})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json() == {"message": "No se pudo guardar esta página."}

    review = _page(client, reverse("intake_review", args=[intake.id]))
    assert "Revise sus respuestas" in review and "Falta responder" in review
    assert "preguntas todavía necesitan una respuesta antes de que pueda enviar esto" in review
    assert "Check your answers" not in review and "Still to answer" not in review


def test_the_confirmation_email_follows_the_client_and_the_practice_email_its_reader(
        client: Client, client_user: User, clinician_user: User, caseload: User) -> None:
    sign_in(client, reads_spanish(client_user))
    intake = filled_draft(client_user)

    response = client.post(reverse("intake_submit", args=[intake.id]),
                           {"revision": intake.revision})
    assert response["Location"] == reverse("intake_submitted", args=[intake.id])
    sent = _page(client, response["Location"])
    assert "Envió estas respuestas el" in sent and "copia de solo lectura" in sent

    mail = {message.to[0]: message for message in delivered_mail()}
    to_client = mail[client_user.email]
    assert to_client.subject.endswith(": recibimos sus respuestas")
    body = mail_body(to_client)
    assert "recibió las respuestas que envió antes de su primera sesión" in body
    assert "Este correo electrónico no contiene ninguna de sus respuestas." in body
    assert "Thank you" not in body and "we have your answers" not in to_client.subject
    # The clinician has chosen no language: the practice's English.
    assert mail[clinician_user.email].subject.endswith(": a new intake is ready")


def test_a_spanish_reading_clinician_sees_the_intake_list_in_spanish(
        client: Client, clinician_user: User, caseload: User) -> None:
    intake_start(client=caseload)
    sign_in(client, reads_spanish(clinician_user))

    page = _page(client, reverse("staff_intake_list"))
    assert "<h1>Formularios de admisión</h1>" in page
    assert "Los formularios de admisión de los clientes a su cargo." in page
    assert "1 en total." in page and ">En curso</span>" in page
    assert "<h1>Intakes</h1>" not in page and "In progress" not in page
