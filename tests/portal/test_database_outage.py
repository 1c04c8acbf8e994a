"""While the database cannot be reached, every page answers a calm 503 with Retry-After (not
a 500), says nothing was half-saved, and the portal recovers by itself once it is back."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import OperationalError, close_old_connections, connection
from django.test import Client, RequestFactory
from django.urls import reverse

from portal.models import User
from portal.views.errors import RETRY_AFTER_SECONDS, server_error
from tests.helpers import sign_in

on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'",
                                   reason="PostgreSQL only (ends its own server session)")


def test_an_unreachable_database_is_a_calm_503_and_any_other_error_a_500() -> None:
    request = RequestFactory().get("/me/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        outage = server_error(request)
    assert outage.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert outage["Retry-After"] == str(RETRY_AFTER_SECONDS)
    text = outage.content.decode()
    assert "can't reach its records" in text and "not half-saved" in text
    assert "connection refused" not in text
    try:
        raise ValueError("a bug")
    except ValueError:
        bug = server_error(request)
    assert bug.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert "Something went wrong" in bug.content.decode()


def _terminate(pid: int) -> None:
    """End server session ``pid`` from a separate connection (as an administrator would)."""
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_lost_database_connection_answers_503_then_the_portal_recovers(
    client_user: User,
) -> None:
    http = Client(raise_request_exception=False)
    sign_in(http, client_user)
    assert http.get(reverse("client_home")).status_code == HTTPStatus.OK
    # The server ends this process's database session, as a restart or failover would.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    _terminate(pid)
    response = http.get(reverse("client_home"))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "can't reach its records" in response.content.decode()
    # A real server (Django's WSGI handler) drops the broken connection when the request
    # ends; the test client switches that signal off, so it is done here as the handler does.
    close_old_connections()
    assert http.get(reverse("client_home")).status_code == HTTPStatus.OK
