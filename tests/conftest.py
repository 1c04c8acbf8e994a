"""Shared fixtures: the people of the practice, and signing them in for real."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core.cache import cache
from django.db import transaction
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.test import Client
from django.urls import reverse
from hypothesis import settings as hypothesis_settings

from portal.models import User
from portal.roles import Role
from tests.factories import PASSWORD, UserFactory

# Property tests explore new random examples on every local run; under CI (CI=true) they
# run a fixed set, so a submission's CI result does not depend on chance. A bug the local
# runs find is fixed and kept as an explicit example or test.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI", "").lower() == "true":
    hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_audit_truncate_trigger() -> Iterator[None]:
    """Let the test runner empty the database between transactional tests on PostgreSQL.

    Django empties it with one ``TRUNCATE`` of every table, which the audit table's trigger
    refuses (as it should in production). The runner does what docs/audit-trail.md says an
    operator would have to: as a superuser, with ``session_replication_role = replica``
    (no triggers fire), for that transaction only.
    """
    original = PostgresOperations.execute_sql_flush

    def execute_sql_flush(self: PostgresOperations, sql_list: list[str]) -> None:
        with transaction.atomic(using=self.connection.alias):
            with self.connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
            original(self, sql_list)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PostgresOperations, "execute_sql_flush", execute_sql_flush)
        yield


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate-limit counters and used TOTP codes live in the cache; tests must not share them.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_user(db: None) -> User:
    return UserFactory(role=Role.CLIENT, email="client@example.com")


@pytest.fixture
def other_client_user(db: None) -> User:
    """Another client, who should never see the first client's things."""
    return UserFactory(role=Role.CLIENT, email="other.client@example.com")


@pytest.fixture
def clinician_user(db: None) -> User:
    return UserFactory(
        role=Role.CLINICIAN, email="clinician@example.com", display_name="Dr. Lee", totp=True
    )


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory(
        role=Role.PRACTICE_ADMIN, email="admin@example.com", display_name="Pat Admin", totp=True
    )


def current_totp_code(secret: str) -> str:
    """The code an authenticator app shows right now for ``secret`` (waiting for the next
    30-second window when this one is about to end, so the code is still valid on arrival)."""
    if 30 - time.time() % 30 < 2:
        time.sleep(30 - time.time() % 30 + 0.05)
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def sign_in(client: Client, user: User, password: str = PASSWORD) -> None:
    """Sign in through the real allauth pages: password, then a TOTP code if enrolled."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302, response.content[:500]
    if response["Location"].startswith(reverse("mfa_authenticate")):
        response = client.post(
            reverse("mfa_authenticate"), {"code": current_totp_code(user.totp_secret)}
        )
        assert response.status_code == 302, response.content[:500]
    assert client.session.get("_auth_user_id") == str(user.pk)


def reauthenticate(client: Client, password: str = PASSWORD) -> None:
    """Confirm the password again, as allauth asks before sensitive actions."""
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content[:500]


@pytest.fixture
def as_client(client: Client, client_user: User) -> Client:
    sign_in(client, client_user)
    return client


@pytest.fixture
def as_admin(client: Client, admin_user: User) -> Client:
    sign_in(client, admin_user)
    return client


@pytest.fixture
def as_clinician(client: Client, clinician_user: User) -> Client:
    sign_in(client, clinician_user)
    return client
