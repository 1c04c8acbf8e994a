"""Security headers on every kind of page, and no asset from any other host."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse

from tests.helpers import reauthenticate
from tests.subprocesses import production_environ, run_python

PUBLIC_PAGES = ("home", "account_login", "account_signup", "account_reset_password")


def _csp(response: HttpResponseBase) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in header.split(";")
        if part.strip()
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_security_headers_on_public_pages(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == HTTPStatus.OK
    csp = _csp(response)
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response.headers["Permissions-Policy"]


@pytest.mark.django_db
def test_signed_in_pages_are_never_cached(as_client: Client) -> None:
    response = as_client.get(reverse("client_home"))
    assert "no-store" in response.headers["Cache-Control"]


INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(rb"\son[a-z]+\s*=", re.I)
FOREIGN_ASSET = re.compile(rb"""(?:src|href)=["'](?:https?:)?//(?!testserver)""", re.I)


@pytest.mark.django_db
def test_pages_have_no_inline_script_or_style_and_no_foreign_assets(
    as_admin: Client,
) -> None:
    anonymous = Client()
    reauthenticate(as_admin)
    pages = [anonymous.get(reverse(name)) for name in PUBLIC_PAGES]
    pages += [as_admin.get(reverse(name)) for name in
              ("staff_home", "invitation_list", "practice_settings", "mfa_index")]
    for response in pages:
        body = response.content
        assert response.status_code == HTTPStatus.OK
        assert not INLINE_SCRIPT.search(body), body[:200]
        assert not INLINE_HANDLER.search(body)
        assert b" style=" not in body and b"<style" not in body
        for match in FOREIGN_ASSET.finditer(body):
            # Only plain links to other sites are allowed (the quick exit), never assets.
            start = body.rfind(b"<", 0, match.start())
            assert body[start:start + 2] == b"<a", body[start:match.end() + 40]


@pytest.mark.django_db
def test_bootstrap_is_served_by_the_app(client: Client) -> None:
    page = client.get(reverse("account_login")).content
    assert b"/static/vendor/bootstrap/css/bootstrap.min.css" in page
    css = client.get("/static/vendor/bootstrap/css/bootstrap.min.css")
    assert css.status_code == HTTPStatus.OK


def test_hsts_in_production_over_https() -> None:
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz', secure=True, headers={'host': 'portal.example.org'}); "
        "print(r.headers.get('Strict-Transport-Security'))"
    )
    # The database is down (nothing on port 1): headers must not depend on it.
    environ = production_environ(DATABASE_URL="postgres://postgres@127.0.0.1:1/none")
    result = run_python(code, environ)
    assert "max-age=31536000; includeSubDomains; preload" in result.stdout, result.stderr


def test_the_health_checks_answer_plain_http_in_production() -> None:
    """A load balancer or monitor probes gunicorn directly, without TLS: both checks answer
    (here 503, the database being down) rather than redirect to HTTPS."""
    code = (
        "import django, json; django.setup(); from django.test import Client; "
        "print(json.dumps([Client().get(p, headers={'host': 'portal.example.org'}).status_code "
        "for p in ('/healthz', '/healthz/queue')]))"
    )
    environ = production_environ(DATABASE_URL="postgres://postgres@127.0.0.1:1/none")
    result = run_python(code, environ)
    assert result.stdout.strip().splitlines()[-1] == "[503, 503]", result.stderr
