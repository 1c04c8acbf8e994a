"""Honest permissions: each permission allows the one thing it is named for.

A staff member given only ``access_staff_pages`` and one capability can do that thing, for
a client who is not on their caseload, and gets a 404 from every page the other
capabilities open. The migration gives the new capabilities to whoever held
``manage_invitations`` before, so nobody can do more or less than before it ran.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from portal.models import CareAssignment, ClientProfile, DataKey, User
from portal.roles import ROLE_PERMISSIONS, Role
from tests.factories import UserFactory
from tests.helpers import reauthenticate, sign_in

CAPABILITIES = (
    "see_all_clients",
    "manage_consent_documents",
    "manage_care_teams",
    "erase_clients",
    "manage_invitations",
    "manage_outgoing_messages",
)
NEW_CAPABILITIES = CAPABILITIES[:4]
BEFORE_THE_SPLIT = ("portal", "0011_practice_settings_for_consent_documents")

Probe = Callable[[Client, dict[str, User]], int]


def _portal_permissions(*codenames: str) -> list[Permission]:
    permissions = list(Permission.objects.filter(content_type__app_label="portal",
                                                 codename__in=codenames))
    assert len(permissions) == len(codenames)
    return permissions


def _holder(capability: str) -> User:
    """A staff member with the staff workspace and ``capability``, and nothing else: no
    role group, no care team."""
    user = UserFactory(email=f"{capability}@example.com", display_name="Sam Holder")
    user.user_permissions.add(*_portal_permissions("access_staff_pages", capability))
    return user


# What each capability allows, done for a client on nobody's caseload; the status it
# answers a holder (anything else gets a 404).
PROBES: dict[str, tuple[Probe, int]] = {
    "see_all_clients": (
        lambda http, o: http.get(reverse("client_profile", args=[o["client"].pk])).status_code,
        HTTPStatus.OK,
    ),
    "manage_consent_documents": (
        lambda http, o: http.get(
            reverse("consent_client_timeline", args=[o["client"].pk])).status_code,
        HTTPStatus.OK,
    ),
    "manage_care_teams": (
        lambda http, o: http.post(reverse("care_team_add", args=[o["client"].pk]),
                                  {"clinician": str(o["clinician"].pk)}).status_code,
        HTTPStatus.FOUND,
    ),
    "erase_clients": (
        lambda http, o: http.get(reverse("client_erase", args=[o["client"].pk])).status_code,
        HTTPStatus.OK,
    ),
    "manage_invitations": (
        lambda http, o: http.get(reverse("invitation_list")).status_code,
        HTTPStatus.OK,
    ),
    "manage_outgoing_messages": (
        lambda http, o: http.get(reverse("outgoing_messages")).status_code,
        HTTPStatus.OK,
    ),
}


@pytest.fixture
def people(client_user: User, clinician_user: User) -> dict[str, User]:
    ClientProfile.objects.create(user=client_user, legal_name="Noor Halvorsen")
    return {"client": client_user, "clinician": clinician_user}


def _signed_in_as(capability: str) -> Client:
    http = Client()
    sign_in(http, _holder(capability))
    reauthenticate(http)  # so erasure answers with its page, not the password prompt
    return http


@pytest.mark.django_db
@pytest.mark.parametrize("capability", CAPABILITIES)
def test_a_capability_opens_its_own_pages_and_no_others(
    capability: str, people: dict[str, User]
) -> None:
    http = _signed_in_as(capability)
    for probed, (probe, allowed) in PROBES.items():
        expected = allowed if probed == capability else HTTPStatus.NOT_FOUND
        assert probe(http, people) == expected, (capability, probed)


@pytest.mark.django_db
def test_seeing_every_client_lists_and_opens_clients_on_no_caseload(
    people: dict[str, User]
) -> None:
    http = _signed_in_as("see_all_clients")
    page = http.get(reverse("client_list")).content.decode()
    assert "Every client of the practice." in page
    assert reverse("client_profile", args=[people["client"].pk]) in page
    record = http.get(reverse("client_profile", args=[people["client"].pk])).content.decode()
    assert "Noor Halvorsen" in record
    # Seeing is not changing: no care-team form, no erasure, no consent timeline link.
    assert reverse("care_team_add", args=[people["client"].pk]) not in record
    assert reverse("client_erase", args=[people["client"].pk]) not in record
    assert reverse("consent_client_timeline", args=[people["client"].pk]) not in record


@pytest.mark.django_db
def test_managing_consent_documents_opens_the_consent_pages_but_no_client_record(
    people: dict[str, User]
) -> None:
    http = _signed_in_as("manage_consent_documents")
    assert http.get(reverse("consent_dashboard")).status_code == HTTPStatus.OK
    assert http.get(reverse("consent_outstanding")).status_code == HTTPStatus.OK
    home = http.get(reverse("staff_home")).content.decode()
    assert reverse("consent_dashboard") in home
    assert reverse("invitation_list") not in home
    assert http.get(reverse("client_list")).content.decode().count(
        reverse("client_profile", args=[people["client"].pk])) == 0


@pytest.mark.django_db
def test_managing_care_teams_changes_a_care_team_and_nothing_else(
    people: dict[str, User]
) -> None:
    client, clinician = people["client"], people["clinician"]
    http = _signed_in_as("manage_care_teams")
    http.post(reverse("care_team_add", args=[client.pk]), {"clinician": str(clinician.pk)})
    assert CareAssignment.objects.filter(client=client, clinician=clinician).exists()
    http.post(reverse("care_team_remove", args=[client.pk]), {"clinician": str(clinician.pk)})
    assert not CareAssignment.objects.filter(client=client).exists()
    assert http.get(reverse("client_profile", args=[client.pk])).status_code == 404


@pytest.mark.django_db
def test_erasing_clients_erases_and_nothing_else(people: dict[str, User]) -> None:
    client = people["client"]
    http = _signed_in_as("erase_clients")
    response = http.post(reverse("client_erase", args=[client.pk]),
                         {"confirm_email": client.email})
    assert response.status_code == HTTPStatus.FOUND
    client.refresh_from_db()
    assert not client.is_active
    assert DataKey.objects.filter(destroyed_at__isnull=False).exists()
    assert http.get(reverse("client_profile", args=[client.pk])).status_code == 404


@pytest.mark.django_db
def test_inviting_no_longer_decides_who_sees_every_client(people: dict[str, User]) -> None:
    http = _signed_in_as("manage_invitations")
    page = http.get(reverse("client_list")).content.decode()
    assert "The clients on your caseload." in page
    assert reverse("client_profile", args=[people["client"].pk]) not in page


@pytest.mark.django_db
def test_each_role_group_holds_exactly_its_permissions() -> None:
    """What migrations gave each group is what ``ROLE_PERMISSIONS`` says: a practice admin
    every capability, a clinician the staff workspace only."""
    for role, codenames in ROLE_PERMISSIONS.items():
        held = set(Group.objects.get(name=role.value).permissions.values_list("codename",
                                                                              flat=True))
        assert held == set(codenames), role
    admin_permissions = set(ROLE_PERMISSIONS[Role.PRACTICE_ADMIN])
    assert set(NEW_CAPABILITIES) <= admin_permissions


# Migrating back and forth commits for real; serialized rollback restores the role groups
# that migrations created, for the tests that follow.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_gives_the_capabilities_to_whoever_could_invite() -> None:
    """Run by ``migrate`` itself: a group or an account given ``manage_invitations`` by hand
    before the split gets every new capability, as the practice admin group does; the
    clinician group gets none. Migrating back removes them."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_THE_SPLIT])
    try:
        assert not Permission.objects.filter(codename__in=NEW_CAPABILITIES).exists()
        inviting = _portal_permissions("manage_invitations")
        front_desk = Group.objects.create(name="front_desk")
        front_desk.permissions.add(*inviting)
        # The account as it was then (later migrations add columns the live model has).
        then = executor.loader.project_state([BEFORE_THE_SPLIT]).apps
        by_hand = then.get_model("portal", "User").objects.create(
            email="by.hand@example.com", password="!")
        by_hand.user_permissions.add(*[permission.pk for permission in inviting])
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    def held(queryset: object) -> set[str]:
        return set(queryset.filter(codename__in=NEW_CAPABILITIES)  # type: ignore[attr-defined]
                   .values_list("codename", flat=True))

    for name in (Role.PRACTICE_ADMIN.value, "front_desk"):
        assert held(Group.objects.get(name=name).permissions) == set(NEW_CAPABILITIES), name
    assert held(Group.objects.get(name=Role.CLINICIAN.value).permissions) == set()
    assert held(User.objects.get(pk=by_hand.pk).user_permissions) == set(NEW_CAPABILITIES)
