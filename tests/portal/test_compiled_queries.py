"""Queries compiled once per process (``portal.compiled``) answer exactly as the ORM does.

The session, the user, their permissions, a data key and a client's own intake are read on
every request by SQL compiled once, from the ORM's own querysets. These tests hold each to
the ORM's answer on the real database (SQLite and PostgreSQL in CI): the same rows, values
converted the same way, related objects joined, expired sessions never read, strangers and
malformed ids refused, locks refused outside a transaction.
"""

from __future__ import annotations

import datetime
import uuid
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.access import OWN_INTAKE, get_own_intake
from intake.models import Intake
from portal.auth_backends import PERMISSION_ROWS, USER_BY_ID, _permission_rows
from portal.compiled import CompiledQuery
from portal.crypto.datakeys import DATA_KEY_BY_ID, active_key_for, key_scope, offer_client_key
from portal.crypto.errors import DecryptionError
from portal.crypto.keystore import DataKey
from portal.crypto.owners import client_owner
from portal.models import User
from portal.sessions import SESSION_DATA, SessionStore
from tests.factories import UserFactory
from tests.intake.test_intake_pages import _open, _start

PAGE = "what_brings_you"

pytestmark = pytest.mark.django_db


def test_permission_rows_are_the_orms_rows_for_groups_own_permissions_and_empty_groups(
) -> None:
    user = UserFactory()
    with_permissions = Group.objects.create(name="with-permissions")
    with_permissions.permissions.add(*Permission.objects.order_by("pk")[:3])
    Group.objects.create(name="empty").user_set.add(user)
    with_permissions.user_set.add(user)
    user.user_permissions.add(Permission.objects.order_by("-pk")[0])

    compiled = sorted(PERMISSION_ROWS.rows(user.pk), key=repr)
    assert compiled == sorted(_permission_rows(user.pk), key=repr)
    assert ("empty", None, None) in compiled
    assert sum(1 for name, _app, _code in compiled if name is None) == 1
    assert PERMISSION_ROWS.rows(UserFactory().pk) == []  # another user's are not theirs


def test_the_user_by_id_is_the_orms_user_with_its_dates_converted(client_user: User) -> None:
    (found,) = USER_BY_ID.objects(client_user.pk)
    expected = User.objects.get(pk=client_user.pk)
    assert [getattr(found, f.attname) for f in User._meta.concrete_fields] == \
        [getattr(expected, f.attname) for f in User._meta.concrete_fields]
    assert isinstance(found.date_joined, datetime.datetime)
    assert found.date_joined.tzinfo is not None
    assert USER_BY_ID.objects(uuid.uuid4()) == []


def test_a_session_row_is_read_until_it_expires_and_never_after(as_client: Client) -> None:
    key = as_client.session.session_key
    assert SESSION_DATA.rows(key, timezone.now()) == [
        (Session.objects.get(session_key=key).session_data,)]
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert SESSION_DATA.rows(key, timezone.now()) == []
    store = SessionStore(session_key=key)
    assert store.load() == {}
    assert store.session_key is None  # an expired key is dropped, as Django's store drops it
    response = as_client.get("/me/")
    assert response.status_code == HTTPStatus.FOUND  # signed out: back to the sign-in page


def test_a_data_key_by_id_is_the_orms_row(as_client: Client) -> None:
    intake = _start(as_client)
    stored = DataKey.objects.get(owner_id=intake.client_id)
    (found,) = DATA_KEY_BY_ID.objects(stored.pk)
    assert (found.pk, bytes(found.wrapped_key or b""), found.created_at) == \
        (stored.pk, bytes(stored.wrapped_key or b""), stored.created_at)


def test_a_clients_own_intake_comes_with_its_questionnaire_joined_and_its_answers_sealed(
    as_client: Client, client_user: User,
) -> None:
    intake = _start(as_client)
    (found,) = OWN_INTAKE.objects(client_user.pk, intake.pk)
    expected = Intake.objects.select_related("questionnaire").get(pk=intake.pk)
    assert [getattr(found, f.attname) for f in Intake._meta.concrete_fields
            if f.attname != "answers"] == \
        [getattr(expected, f.attname) for f in Intake._meta.concrete_fields
         if f.attname != "answers"]
    assert found.answers == expected.answers  # opened on first read, as the ORM's row
    # The questionnaire version came with the row, without its definition.
    assert Intake.questionnaire.is_cached(found)
    assert "definition" in found.questionnaire.get_deferred_fields()
    assert found.questionnaire.pk == expected.questionnaire.pk


def test_a_stranger_or_a_malformed_id_gets_a_404_through_the_compiled_helper(
    as_client: Client, other_client_user: User,
) -> None:
    intake = _start(as_client)
    with pytest.raises(Http404):
        get_own_intake(other_client_user, intake.pk)
    for malformed in ("not-a-uuid", "", "1; DROP TABLE intake_intake", None):
        with pytest.raises(Http404):
            get_own_intake(intake.client, malformed)  # type: ignore[arg-type]
    assert get_own_intake(intake.client, str(intake.pk)).pk == intake.pk


def test_a_locking_read_locks_as_the_orm_does_and_knows_whether_the_database_locks(
    client_user: User,
) -> None:
    """The compiled SQL is the ORM's own: ``FOR UPDATE`` where the database has row locks
    (PostgreSQL), none where it has not (SQLite). (Outside a transaction the compiled query
    refuses a lock as the ORM does; pytest-django's own transaction hides that case, and a
    transactional test here would empty the tables other tests' set-up relies on.)"""
    locked = CompiledQuery(lambda pk: User.objects.filter(pk=pk).select_for_update(),
                           [("uuid", lambda: User._meta.pk)])
    with transaction.atomic():
        assert [found.pk for found in locked.objects(client_user.pk)] == [client_user.pk]
        with CaptureQueriesContext(connection) as seen:
            locked.objects(client_user.pk)
    assert ("FOR UPDATE" in seen.captured_queries[0]["sql"]) == \
        connection.features.has_select_for_update


def test_a_value_that_does_not_reach_the_sql_is_refused_when_compiled(db: None) -> None:
    ignores_its_value = CompiledQuery(lambda pk: User.objects.filter(is_active=True),
                                      [("uuid", lambda: User._meta.pk)])
    with pytest.raises(ValueError, match="does not reach the SQL"):
        ignores_its_value.objects(uuid.uuid4())


def _saved_draft(as_client: Client) -> Intake:
    intake = _start(as_client)
    _page, revision = _open(as_client, intake, PAGE)
    response = as_client.post(reverse("intake_autosave", args=[intake.id]), {
        "section": PAGE, "revision": revision, "questions": ["in_your_own_words"],
        "in_your_own_words": "Sleep, mostly"})
    assert response.status_code == HTTPStatus.OK, response.content[:300]
    return intake


def test_the_drafts_data_key_comes_with_the_draft_and_opens_its_answers(
    as_client: Client, client_user: User,
) -> None:
    intake = _saved_draft(as_client)
    with key_scope(), CaptureQueriesContext(connection) as seen:
        found = get_own_intake(client_user, intake.pk)
        assert found.answers["in_your_own_words"] == "Sleep, mostly"
    queries = [query["sql"] for query in seen.captured_queries]
    assert sum('FROM "intake_intake"' in sql for sql in queries) == 1, queries
    assert not any(sql.startswith('SELECT "portal_datakey"') for sql in queries), queries


def test_a_key_row_offered_for_another_client_does_not_open_the_answers(
    as_client: Client, client_user: User, other_client_user: User,
) -> None:
    """The wrap's associated data names the key's owner: a key row handed over with the
    wrong owner fails as a tampered key, it never opens someone's answers."""
    intake = _saved_draft(as_client)
    with key_scope():
        (found,) = OWN_INTAKE.objects(client_user.pk, intake.pk)
        offer_client_key(found, other_client_user.pk)
        with pytest.raises(DecryptionError):
            _ = found.answers


def test_answers_sealed_under_a_retired_key_still_open_by_their_own_key(
    as_client: Client, client_user: User,
) -> None:
    intake = _saved_draft(as_client)
    DataKey.objects.filter(owner_id=client_user.pk).update(retired_at=timezone.now())
    with key_scope():
        active_key_for(client_owner(client_user.pk))  # a new live key, not the answers' key
    with key_scope(), CaptureQueriesContext(connection) as seen:
        found = get_own_intake(client_user, intake.pk)
        assert found.answers["in_your_own_words"] == "Sleep, mostly"
    assert sum(query["sql"].startswith('SELECT "portal_datakey"')
               for query in seen.captured_queries) == 1  # the retired key, read by its id
