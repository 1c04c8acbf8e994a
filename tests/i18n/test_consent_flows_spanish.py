"""The consents' signing flows in Spanish: a client who reads Spanish withdraws a consent and
fills in an authorization to release information in Spanish (its refusals too, and the
statements kept with the signature are the ones they read); a practice admin who reads
Spanish chases unsigned documents in Spanish, and a Spanish-reading client's reminder email
is in Spanish."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.http import HttpResponseBase
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from consents.defaults import install_default_documents
from consents.models import ConsentDocument, ReleaseAuthorization
from consents.services import consent_sign
from portal.models import PracticeSettings, User
from portal.roles import Role
from tests.factories import UserFactory, fill_practice_settings
from tests.helpers import (
    body_bytes,
    delivered_mail,
    mail_body,
    must_search,
    published_version,
    sign_in,
)
from tests.i18n.readers import reads_spanish

pytestmark = pytest.mark.django_db

SUBMISSION = re.compile(r'name="submission" value="([0-9a-f-]{36})"')



@pytest.fixture
def documents() -> None:
    fill_practice_settings()
    install_default_documents(publish=True)


@pytest.fixture
def en_espanol(client: Client, client_user: User, documents: None) -> Client:
    sign_in(client, reads_spanish(client_user))
    return client


def _page(response: HttpResponseBase) -> str:
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST)
    page = body_bytes(response).decode()
    assert '<html lang="es"' in page
    return page


def test_a_spanish_reader_withdraws_a_consent_in_spanish(
    en_espanol: Client, client_user: User
) -> None:
    version = published_version(ConsentDocument.objects.get(kind="treatment"))
    signature = consent_sign(client=client_user, version_id=version.pk,
                             expected_sha256=version.sha256, typed_name="Robin Example",
                             agreed=True)
    page = _page(en_espanol.get(reverse("consent_withdraw", args=[signature.id])))
    for spanish in ("¿Retirar su consentimiento?", "Qué significa esto",
                    "Confirmar: retirar mi consentimiento", "Mantener mi consentimiento",
                    "¿Por qué lo retira? (opcional)"):
        assert spanish in page
    for english in ("Withdraw your consent?", "What this means", "Keep my consent",
                    "Why are you withdrawing?"):
        assert english not in page


def test_a_spanish_reader_fills_in_an_authorization_in_spanish(
    en_espanol: Client, client_user: User
) -> None:
    version = published_version(ConsentDocument.objects.get(kind="release_authorization"))
    url = reverse("consent_sign", args=[version.id])
    page = _page(en_espanol.get(url))
    for spanish in ("Lo que usted autoriza", "Qué información se puede compartir",
                    "Cuándo termina esta autorización", "Firmar la autorización",
                    "Puede revocar esta autorización en cualquier momento"):
        assert spanish in page
    for english in ("What you allow", "Sign the authorization", "Please read before you sign",
                    "You may revoke this authorization"):
        assert english not in page

    # Refused: every missing part is named in Spanish, beside its field.
    fields = {"sha256": version.sha256, "submission": must_search(SUBMISSION, page).group(1)}
    refused = en_espanol.post(url, {**fields, "expires_on": "30/06/2027"})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    errors = _page(refused)
    for spanish in ("Por favor, revise las partes marcadas abajo.",
                    "Por favor, escriba la fecha como año-mes-día, por ejemplo 2027-06-30.",
                    "Por favor, describa la información que se puede compartir.",
                    "Por favor, marque la casilla para indicar que está de acuerdo."):
        assert spanish in errors
    for english in ("Please check the parts", "Please give the date as year-month-day",
                    "Please describe the information"):
        assert english not in errors

    # Signed: the statements kept with it are the Spanish ones the client read.
    signed = en_espanol.post(url, {
        **fields, "information": "Fechas de mis sesiones", "discloser": "El consultorio",
        "recipient": "Dra. Canario", "purpose": "A petición mía",
        "expiry_event": "cuando termine mi tratamiento", "typed_name": "Robin Example",
        "agreed": "on",
    })
    assert signed.status_code == HTTPStatus.FOUND, signed.content.decode()[:2000]
    kept = ReleaseAuthorization.objects.get(client=client_user).required_statements
    assert kept.startswith("Puede revocar esta autorización en cualquier momento")
    assert "You may revoke" not in kept


def test_a_spanish_reading_admin_chases_unsigned_documents_and_the_reminder_is_spanish(
    client: Client, admin_user: User, documents: None,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    PracticeSettings.objects.filter(pk=1).update(name="Consultorio Bahía")
    waiting = reads_spanish(UserFactory(role=Role.CLIENT, email="lucia@example.com"))
    sign_in(client, reads_spanish(admin_user))
    page = _page(client.get(reverse("consent_outstanding")))
    for spanish in ("Clientes con documentos por firmar", "Volver a consentimientos",
                    "Enviar recordatorio a los clientes elegidos", "Último recordatorio"):
        assert spanish in page
    for english in ("Clients with documents to sign", "Send reminder to the chosen clients",
                    "Last reminded", "Back to consents"):
        assert english not in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("consent_remind"), {"only": str(waiting.pk)})
    (message,) = delivered_mail()
    assert message.to == ["lucia@example.com"]
    assert message.subject == "Consultorio Bahía: por favor, inicie sesión en el portal"
    assert mail_body(message).strip() == (
        "Hola:\n\nPor favor, inicie sesión en el portal: hay documentos pendientes para "
        "usted.\n\nConsultorio Bahía")
