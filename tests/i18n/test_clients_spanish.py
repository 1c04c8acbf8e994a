"""The client and case pages speak the reader's language: a client who reads Spanish gets
their home, their details page and the added-to-case email in Spanish, and may choose the
language on their details page; a Spanish-reading member of staff gets the client list and
sees which language each client reads."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from clients.cases import case_create, case_participant_invite
from portal.models import User
from tests.helpers import client_account, delivered_mail, mail_body, sign_in
from tests.i18n.readers import reads_spanish


def _page(client: Client, name: str, *args: object) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_a_spanish_reader_gets_their_home_and_details_in_spanish(
    client: Client, client_user: User,
) -> None:
    sign_in(client, reads_spanish(client_user))
    home = _page(client, "client_home")
    assert '<html lang="es"' in home
    assert "Le damos la bienvenida. Avance a su propio ritmo." in home
    assert "Cómo mantener segura su cuenta" in home
    assert "Welcome. Take this at your own pace." not in home
    assert "Keeping your account safe" not in home

    details = _page(client, "client_details")
    assert "Su nombre legal completo" in details and "Guardar mis datos" in details
    assert "Your full legal name" not in details and "Save my details" not in details
    # Each language is named in its own language, whatever the page's.
    assert '<label class="form-check-label" for="id_language_0" lang="en">English</label>' \
        in details


@pytest.mark.django_db
def test_choosing_spanish_on_the_details_page_saves_it_and_the_next_page_is_spanish(
    as_client: Client, client_user: User,
) -> None:
    before = _page(as_client, "client_details")
    assert "Save my language" in before and 'lang="es">Español</label>' in before

    response = as_client.post(reverse("client_details"), {"language": "es"})
    assert response.status_code == 302 and response["Location"] == reverse("client_details")
    client_user.refresh_from_db()
    assert client_user.language == "es"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"

    after = _page(as_client, "client_details")
    assert '<html lang="es"' in after
    assert "Su idioma está guardado." in after and "Guardar mi idioma" in after
    assert "Save my language" not in after

    # A language the portal does not speak changes nothing.
    refused = as_client.post(reverse("client_details"), {"language": "xx"})
    assert refused.status_code == 400
    client_user.refresh_from_db()
    assert client_user.language == "es"


@pytest.mark.django_db
def test_a_spanish_reading_admin_gets_the_client_list_in_spanish_and_sees_each_clients_language(
    client: Client, admin_user: User, client_user: User,
) -> None:
    reads_spanish(client_user)
    sign_in(client, reads_spanish(admin_user))  # with the second factor, as staff must
    listing = _page(client, "client_list")
    assert '<html lang="es"' in listing
    assert "Buscar un cliente" in listing and "Lista de clientes" in listing
    assert "1 en total." in listing and "Activa" in listing
    assert "Find a client" not in listing and "Client list" not in listing

    record = _page(client, "client_profile", client_user.pk)
    assert 'Prefiere: <span lang="es">Español</span>' in record
    assert "Expediente del cliente" in record and "Client record" not in record


@pytest.mark.django_db
def test_the_added_to_case_email_is_in_the_clients_language(admin_user: User) -> None:
    existing = reads_spanish(client_account("en.terapia@example.com"))
    case = case_create(kind="couple", created_by=admin_user)
    case_participant_invite(case=case, email=existing.email, role="partner", actor=admin_user)
    [message] = delivered_mail()
    assert message.to == [existing.email]
    assert message.subject.startswith("Tiene algo pendiente en el portal para clientes de ")
    body = mail_body(message)
    assert body.startswith("Hola:")
    assert "Inicie sesión para ver lo que tiene pendiente" in body
    assert "Please sign in" not in body and "Hello," not in body
