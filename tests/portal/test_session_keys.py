"""A new session's key is drawn without a lookup, and a key already taken is never shared:
the insert refuses it and another is drawn (``portal.sessions``)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal import sessions
from portal.models import User
from portal.sessions import SessionStore
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_taken_key_is_refused_by_the_insert_and_another_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    someone_else = SessionStore()
    someone_else["owner"] = "someone else"
    someone_else.save()
    taken = someone_else.session_key
    assert taken is not None
    fresh = "f" * 32
    draws = iter([taken, fresh])
    monkeypatch.setattr(sessions, "get_random_string", lambda *args: next(draws))

    mine = SessionStore()
    mine["owner"] = "me"
    mine.save()

    assert mine.session_key == fresh
    assert SessionStore(session_key=taken).load() == {"owner": "someone else"}
    assert SessionStore(session_key=fresh).load() == {"owner": "me"}
    assert Session.objects.count() == 2


def test_signing_in_renews_the_key_without_looking_it_up_first(
    client: Client, client_user: User,
) -> None:
    client.get(reverse("account_login"))
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("account_login"),
                               {"login": client_user.email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    session_queries = [query["sql"] for query in captured.captured_queries
                       if '"django_session"' in query["sql"]]
    assert not any(sql.startswith("SELECT 1") for sql in session_queries), session_queries
    assert any(sql.startswith("INSERT") for sql in session_queries), session_queries
    stored = Session.objects.get(session_key=client.session.session_key)
    assert stored.get_decoded()["_auth_user_id"] == str(client_user.pk)
