"""Shared fixtures: the people of the practice, and signing them in for real."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.test import Client
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from portal.i18n.catalogs import compile_catalogs
from portal.models import CareAssignment, User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import sign_in

# Property tests explore new random examples on every local run; under CI (CI=true) they
# run a fixed set, so a submission's CI result does not depend on chance. A bug the local
# runs find is fixed and kept as an explicit example or test.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI", "").lower() == "true":
    hypothesis_settings.load_profile("ci")


def pytest_configure(config: pytest.Config) -> None:
    """Pages are tested in every language with the catalogs as committed: a ``.po`` edited
    since the last ``make messages`` is compiled before the first test."""
    compile_catalogs()


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
def _default_language() -> Iterator[None]:
    """Each test starts in the practice's default language: a request in Spanish leaves
    Spanish active in the thread (as it does in a server, where the next request chooses
    again), and code a test then runs outside a request must not inherit it."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


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


@pytest.fixture
def caseload(client_user: User, clinician_user: User) -> User:
    """``client_user`` on Dr. Lee's (``clinician_user``'s) caseload; ``other_client_user`` is
    on no one's."""
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    return client_user


@pytest.fixture
def stranger(db: None) -> User:
    """A clinician of the practice who should have no access to Dr. Lee's clients."""
    return UserFactory(role=Role.CLINICIAN, email="stranger@example.com",
                       display_name="Dr. Stranger", totp=True)


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
