"""The 400 page that refuses input the server will not read (``InputChecksMiddleware``, and
Django's own limits it trips while reading a body) is in the reader's language: the
language cookie's, else the browser's, decided before anything is refused."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.hostile import percent_encoded

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
SPANISH_HEADING = "No pudimos entender esa solicitud"
ENGLISH_HEADING = "We couldn't understand that request"


@dataclass(frozen=True)
class Hostile:
    name: str
    body: bytes
    reason_es: str = ""  # the refusal's reason, when the page gives one


HOSTILE = (
    Hostile("unreadable bytes", b"login=" + percent_encoded(b"\xff") + b"&password=x",
            "No pudimos leer algunos caracteres de lo que envió"),
    Hostile("a field sent twice", b"login=a%40example.com&login=b%40example.com&password=x",
            "Parte de lo que envió llegó más de una vez"),
    Hostile("a body past the size limit", b"login=" + b"a" * 3_000_000),
    Hostile("more fields than allowed", "&".join(f"f{i}=1" for i in range(1_100)).encode()),
)


def _send(http: Client, hostile: Hostile, **headers: str) -> tuple[int, str]:
    # A request leaves its language active in the thread; each starts from English, as a
    # fresh server thread would, so the page must choose Spanish itself.
    translation.activate("en")
    response = http.post(reverse("account_login"), data=hostile.body, content_type=FORM,
                         headers=headers)
    return response.status_code, response.content.decode()


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda hostile: hostile.name)
def test_a_spanish_reader_is_refused_in_spanish(hostile: Hostile) -> None:
    http = Client()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    status, page = _send(http, hostile, **{"Accept-Language": "en-US"})
    assert status == HTTPStatus.BAD_REQUEST
    assert '<html lang="es">' in page
    assert SPANISH_HEADING in page
    assert ENGLISH_HEADING not in page
    assert hostile.reason_es in page


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda hostile: hostile.name)
def test_a_browser_asking_for_spanish_is_refused_in_spanish(hostile: Hostile) -> None:
    status, page = _send(Client(), hostile, **{"Accept-Language": "es-MX,es;q=0.9"})
    assert status == HTTPStatus.BAD_REQUEST
    assert SPANISH_HEADING in page and '<html lang="es">' in page


def test_an_english_reader_is_refused_in_english() -> None:
    status, page = _send(Client(), HOSTILE[2], **{"Accept-Language": "en-US"})
    assert status == HTTPStatus.BAD_REQUEST
    assert ENGLISH_HEADING in page and '<html lang="en">' in page
