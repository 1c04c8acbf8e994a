"""The platform in Spanish: dates and numbers in the reader's language, an invitation
written in the client's language whose account then reads Spanish, the client's "Who has
opened my record" in whole Spanish sentences, and a form error in Spanish."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.formatting import format_when
from portal.models import Invitation, User
from portal.models.outbox import OutgoingMessage
from tests.helpers import delivered_mail, mail_body, signed_in
from tests.i18n.readers import reads_spanish

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)  # 10:30 in New York
LINK = re.compile(r"https?://testserver(/invitations/[^/\s]+/)")
PASSWORD = "Quiet-meadow-river-7"


@pytest.fixture(autouse=True)
def _practice_in_new_york(settings: Settings) -> None:
    settings.TIME_ZONE = "America/New_York"



def test_dates_and_numbers_follow_the_language() -> None:
    page = Template("{{ m|when }} | {{ m|day }} | {{ m|clock }} | {{ n|number }}")
    context = Context({"m": MOMENT, "n": 2.5})
    with translation.override("es"):
        assert page.render(context) == ("3 de diciembre de 2026, 10:30 | 3 de diciembre de 2026"
                                        " | 10:30 | 2,5")
    with translation.override("en"):
        assert page.render(context) == "3 Dec 2026, 10:30 | 3 Dec 2026 | 10:30 | 2.5"


def test_an_invitation_in_spanish_is_written_and_kept_in_spanish(
    admin_user: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    admin = signed_in(admin_user)
    page = admin.get(reverse("invitation_list")).content.decode()
    assert 'name="language"' in page and "Español" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(reverse("invitation_list"),
                              {"email": "nueva@example.com", "language": "es"})
    assert response.status_code == HTTPStatus.FOUND
    invitation = Invitation.objects.get(email="nueva@example.com")
    assert invitation.language == "es"
    assert OutgoingMessage.objects.get(template="portal/email/invitation").language == "es"
    (message,) = delivered_mail()
    with translation.override("es"):
        expires = format_when(invitation.expires_at)
    assert re.fullmatch(r"\d{1,2} de [a-z]+ de \d{4}, \d{2}:\d{2}", expires)
    assert expires in mail_body(message)  # rendered in Spanish, dates included
    match = LINK.search(mail_body(message))
    assert match

    # The invitee's browser has not chosen a language: the sign-up page is in the
    # invitation's, and the new account keeps it.
    visitor = Client()
    response = visitor.get(match.group(1))
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert 'lang="es"' in visitor.get(reverse("account_signup")).content.decode()
    response = visitor.post(reverse("account_signup"), {
        "email": "nueva@example.com", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.get(email="nueva@example.com").language == "es"


def test_the_language_chosen_before_sign_up_wins_over_the_invitation(
    admin_user: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(admin_user).post(reverse("invitation_list"),
                                   {"email": "reader@example.com", "language": "es"})
    match = LINK.search(mail_body(delivered_mail()[0]))
    assert match
    visitor = Client()
    visitor.get(match.group(1))
    visitor.post(reverse("choose_language"), {"language": "en", "next": "/"})
    visitor.post(reverse("account_signup"), {
        "email": "reader@example.com", "password1": PASSWORD, "password2": PASSWORD})
    assert User.objects.get(email="reader@example.com").language == "en"


def test_who_has_opened_my_record_speaks_spanish(caseload: User, clinician_user: User) -> None:
    record_event(Action.INTAKE_VIEWED, actor=clinician_user, subject=caseload)
    record_event(Action.MEASURES_EXPORTED, actor=clinician_user, subject=caseload,
                 detail={"format": "pdf"})

    page = signed_in(reads_spanish(caseload)).get(reverse("record_access")).content.decode()

    assert 'lang="es"' in page
    assert "Dr. Lee (Profesional clínico) abrió su formulario de admisión" in page
    assert "Dr. Lee (Profesional clínico) descargó una copia de sus puntuaciones" in page
    assert "opened your intake" not in page and "(Clinician)" not in page


def test_a_form_error_and_the_menu_in_spanish(admin_user: User, client_user: User) -> None:
    mail.outbox.clear()
    admin = signed_in(reads_spanish(admin_user))
    response = admin.post(reverse("invitation_list"), {"email": client_user.email})

    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Ya existe una cuenta con esta dirección de correo electrónico." in page
    assert "Correo electrónico del cliente" in page and "Registro de auditoría" in page
    assert "An account with this email address already exists." not in page
    assert "Audit trail" not in page
