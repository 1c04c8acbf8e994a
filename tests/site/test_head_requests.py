"""HEAD works wherever GET does: uptime checkers and load balancers probe with HEAD.

Generated from the URL conf, like the permission matrix: every URL of ours (with the
arguments the matrix gives it) and every allauth page without arguments is asked with HEAD
and with GET by every kind of visitor. Each answer to HEAD has the status GET gets, the
same content type and redirect target, and no body. A page that only takes POST refuses
both alike (405).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.access_matrix import MATRIX
from tests.helpers import body_bytes
from tests.hostile import World, build_world, routes

pytestmark = pytest.mark.django_db

ALLAUTH_PREFIXES = ("account_", "mfa_")
# Signing out on GET is off, and allauth's logout page then answers GET with a form: HEAD
# must do the same without signing anyone out (checked by the GET that follows it).
ALLAUTH_VISITORS = ("anonymous", "client", "clinician")


@pytest.fixture
def world(settings: Any) -> World:
    # The sweep takes a while on a busy machine: staff must not be asked for their password
    # again half-way (the two answers would then differ for a reason that is not HEAD).
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 3600
    return build_world()


def _compare(http: Client, url: str) -> str | None:
    """HEAD then GET on ``url``: what differs, or None."""
    head = http.head(url)
    get = http.get(url)
    if head.status_code != get.status_code:
        return f"HEAD {head.status_code}, GET {get.status_code}"
    body = body_bytes(head)
    if body:
        return f"HEAD sent a body of {len(body)} bytes"
    if head.get("Content-Type") != get.get("Content-Type"):
        return f"HEAD {head.get('Content-Type')}, GET {get.get('Content-Type')}"
    if head.get("Location") != get.get("Location"):
        return f"HEAD to {head.get('Location')}, GET to {get.get('Location')}"
    return None


def test_head_answers_like_get_on_every_page_for_everyone(world: World) -> None:
    failures = []
    ours = [route for route in routes() if route.name in MATRIX]
    assert {route.name for route in ours} == set(MATRIX)
    refused_by_get = 0
    for route in ours:
        url = reverse(route.name, args=MATRIX[route.name].args(world.objects))
        for visitor, http in world.http.items():
            if (problem := _compare(http, url)) is not None:
                failures.append(f"{route.name} by {visitor}: {problem}")
        refused_by_get += world.http["admin"].get(url).status_code == \
            HTTPStatus.METHOD_NOT_ALLOWED
    # The POST-only pages are in the sweep too, and refuse both methods alike.
    assert refused_by_get >= 5
    assert not failures, "\n".join(failures)


def test_head_answers_like_get_on_every_allauth_page(world: World) -> None:
    failures = []
    checked = 0
    for route in routes():
        if not route.name.startswith(ALLAUTH_PREFIXES) or route.params:
            continue
        try:
            url = reverse(route.name)
        except NoReverseMatch:  # pragma: no cover - names that need arguments
            continue
        checked += 1
        for visitor in ALLAUTH_VISITORS:
            if (problem := _compare(world.http[visitor], url)) is not None:
                failures.append(f"{route.name} by {visitor}: {problem}")
    assert checked >= 15
    assert not failures, "\n".join(failures)


def test_healthz_answers_head_signed_out() -> None:
    response = Client().head("/healthz")
    assert response.status_code == HTTPStatus.OK
    assert response.content == b""
    assert response["Content-Type"] == "application/json"


def test_healthz_queue_answers_head_signed_out() -> None:
    # The scheduler is not started in tests: 503, as GET answers, without a body.
    response = Client().head("/healthz/queue")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.content == b""
    assert response["Content-Type"] == "application/json"
