"""The platform's own pages and scripts in Spanish: sign-in before signing in (the language
cookie), the second step of sign-in, an error page, the scripts' words from the JavaScript
catalog, and the emailed code, each for a Spanish reader and without the English."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.conf import settings
from django.template import loader
from django.test import Client
from django.urls import reverse
from django.utils import translation

from portal.models import User
from tests.factories import PASSWORD
from tests.helpers import delivered_mail, mail_body, sign_in

pytestmark = pytest.mark.django_db


def _spanish_browser() -> Client:
    """A browser that chose Spanish with the language button before signing in."""
    browser = Client()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return browser


def _assert_spanish(html: str, *, present: tuple[str, ...], absent: tuple[str, ...]) -> None:
    assert '<html lang="es">' in html
    for phrase in present:
        assert phrase in html, phrase
    for phrase in absent:
        assert phrase not in html, phrase


def test_the_sign_in_page_follows_the_language_cookie() -> None:
    response = _spanish_browser().get(reverse("account_login"))
    assert response.status_code == HTTPStatus.OK
    _assert_spanish(
        response.content.decode(),
        present=("<h1>Iniciar sesión</h1>", "Le damos la bienvenida.",
                 "¿Tiene una invitación? Use el enlace de su correo electrónico."),
        absent=("Welcome. Sign in", "Have an invitation?", "<h1>Sign in</h1>"),
    )


def test_the_second_step_of_signing_in_is_in_spanish(clinician_user: User) -> None:
    browser = _spanish_browser()
    response = browser.post(reverse("account_login"),
                            {"login": clinician_user.email, "password": PASSWORD})
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    page = browser.get(reverse("mfa_authenticate"))
    assert page.status_code == HTTPStatus.OK
    _assert_spanish(
        page.content.decode(),
        present=("<h1>Un paso más</h1>", "Escriba el código de 6 dígitos",
                 "Cancelar y cerrar sesión"),
        absent=("One more step", "authenticator app", "Cancel and sign out"),
    )


def test_an_error_page_speaks_the_persons_language(client_user: User) -> None:
    """A Spanish account on a browser that never chose a language: the welcome said while
    signing in, and the next page (here a 404), are in Spanish."""
    client_user.language = "es"
    client_user.save(update_fields=["language"])
    browser = Client()
    sign_in(browser, client_user)
    response = browser.get("/no-such-page/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    _assert_spanish(
        response.content.decode(),
        present=("No encontramos esa página", "Ir a la página de inicio",
                 "Ya inició sesión. Nos alegra verle de nuevo."),
        absent=("We can't find that page", "Go to the start page", "Welcome back"),
    )


def test_the_standalone_error_pages_follow_the_active_language() -> None:
    """500 and 503 render without a request context; the language is still the one the
    request was in."""
    with translation.override("es"):
        html = loader.get_template("503.html").render()
    _assert_spanish(
        html,
        present=("El portal está tomando un breve descanso", "¿Necesita ayuda ahora mismo?",
                 "988 Línea de Prevención del Suicidio y Crisis"),
        absent=("taking a short break", "Need help right now?", "Suicide &amp; Crisis"),
    )


def test_the_scripts_words_come_in_spanish_from_the_catalog() -> None:
    response = _spanish_browser().get(reverse("javascript_catalog"))
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    # The idle warning's announcements (static/portal/js/idle-timeout.js).
    assert "Quedan %(seconds)s segundos." in body
    assert "No pudimos comunicarnos con el servidor." in body
    # Our two plural forms are picked by our own rule, not a three-form one.
    assert re.search(r"const v = \(n != 1\);", body), "the plural rule is not django.po's"


def test_the_emailed_code_is_in_the_readers_language(client_user: User) -> None:
    client_user.language = "es"
    client_user.save(update_fields=["language"])
    browser = Client()
    sign_in(browser, client_user)
    page = browser.get(reverse("account_request_reauthentication_code"))
    _assert_spanish(page.content.decode(), present=("<h1>Confirme que es usted</h1>",),
                    absent=("Confirm it's you", "Email me a code"))
    recipient = re.search(r'name="recipient" value="([^"]+)"', page.content.decode())
    assert recipient is not None
    browser.post(reverse("account_request_reauthentication_code"),
                 {"recipient": recipient.group(1)})
    (message,) = delivered_mail()
    assert message.subject == "Su código para iniciar sesión"
    body = mail_body(message)
    assert "Este es su código." in body
    assert "Here is your code" not in body
