"""Permissions and roles in one query: the same answers as Django's ModelBackend, read once.

``portal.auth_backends.PortalModelBackend`` must grant exactly what ``ModelBackend`` grants
(own permissions, the groups' permissions, everything for a superuser, nothing for an
inactive user) and never keep an answer past the request: a role taken away is gone on
the next page.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.auth_backends import PortalModelBackend
from portal.models import User
from portal.roles import Role, grant_role, is_staff_member, roles_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def _both(user: User) -> tuple[set[str], set[str]]:
    """(ModelBackend's answer, the portal's), each on a freshly loaded user."""
    return (ModelBackend().get_all_permissions(_fresh(user)),
            PortalModelBackend().get_all_permissions(_fresh(user)))


def test_own_and_group_permissions_match_model_backend() -> None:
    user = UserFactory()
    grant_role(user, Role.CLINICIAN)
    user.user_permissions.add(Permission.objects.get(codename="manage_invitations"))
    empty = Group.objects.create(name="no permissions at all")
    user.groups.add(empty)
    django_answer, portal_answer = _both(user)
    assert portal_answer == django_answer
    assert {"portal.access_staff_pages", "portal.manage_invitations"} <= portal_answer
    backend = PortalModelBackend()
    fresh = _fresh(user)
    assert backend.get_user_permissions(fresh) == {"portal.manage_invitations"}
    assert "portal.access_staff_pages" in backend.get_group_permissions(fresh)
    assert roles_of(fresh) == {Role.CLINICIAN}


def test_superuser_holds_everything_and_inactive_user_nothing() -> None:
    boss = UserFactory(is_superuser=True)
    django_answer, portal_answer = _both(boss)
    assert portal_answer == django_answer
    assert len(portal_answer) == Permission.objects.count()
    gone = UserFactory(is_active=False)
    grant_role(gone, Role.PRACTICE_ADMIN)
    assert _both(gone) == (set(), set())
    assert not _fresh(gone).has_perm("portal.access_staff_pages")


def test_permissions_and_roles_are_one_query_per_user_object() -> None:
    user = UserFactory()
    grant_role(user, Role.PRACTICE_ADMIN)
    fresh = _fresh(user)
    with CaptureQueriesContext(connection) as seen:
        assert fresh.has_perm("portal.view_audit_log")
        assert not fresh.has_perm("portal.access_client_pages")
        assert roles_of(fresh) == {Role.PRACTICE_ADMIN}
        assert is_staff_member(fresh)
        assert fresh.get_all_permissions() >= {"portal.manage_invitations"}
    assert len(seen.captured_queries) == 1


def test_a_role_taken_away_is_gone_on_the_next_request(as_clinician: Client,
                                                       clinician_user: User) -> None:
    assert as_clinician.get(reverse("staff_home")).status_code == 200
    clinician_user.groups.clear()
    assert as_clinician.get(reverse("staff_home")).status_code == 404
