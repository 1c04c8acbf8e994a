"""The practice admin's side of the staff workspace, at a desk: finding a client by date of
birth, opening their record, putting a clinician on the care team, and erasing another
client after confirming their password and typing the client's email."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.crypto.owners import client_owner
from portal.models import CareAssignment, ClientProfile, DataKey, User
from portal.roles import Role
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import ServerActivity, field, sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser


def _client(email: str, name: str, born: datetime.date) -> User:
    client = UserFactory(role=Role.CLIENT, email=email)
    ClientProfile.objects.create(user=client, legal_name=name, date_of_birth=born)
    return client


def test_an_admin_finds_a_client_by_birth_date_assigns_a_clinician_and_erases_a_client(
    desktop_page: Page, admin_user: User, clinician_user: User,
    server_activity: ServerActivity,
) -> None:
    maya = _client("maya@example.com", "Maya Okafor", datetime.date(1991, 4, 12))
    daniel = _client("daniel@example.com", "Daniel Reyes", datetime.date(1985, 9, 30))
    page = desktop_page
    sign_in(page, admin_user)

    page.goto("/staff/clients/")
    assert_accessible(page, context="the admin's client list")
    field(page, "Legal name, date of birth or phone").fill("04/12/1991")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.get_by_role("region", name="Search results")
    expect(results).to_contain_text("maya@example.com")
    expect(results).not_to_contain_text("daniel@example.com")
    assert "1991" not in page.url and "Okafor" not in page.url
    assert_accessible(page, context="the client list's search results")

    page.get_by_role("link", name="maya@example.com").click()
    expect(page.get_by_role("heading", name=re.compile("Client record"))).to_be_visible()
    expect(page.get_by_text("Maya Okafor")).to_be_visible()
    assert_accessible(page, context="a client's record, as an admin")
    page.get_by_label("Add a clinician").select_option(label="Dr. Lee")
    page.get_by_role("button", name="Add to the care team").click()
    expect(page.get_by_text("Dr. Lee is now on this client's care team.")).to_be_visible()
    expect(page.get_by_role("region", name="Care team").get_by_role("listitem")
           ).to_contain_text("Dr. Lee")
    assert_accessible(page, context="a client's record, after adding to the care team")

    # Erasing Daniel: the password again, then his email typed, then he is unreadable.
    page.goto(f"/staff/clients/{daniel.pk}/")
    page.get_by_role("link", name="Erase this client…").click()
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    assert_accessible(page, context="the password check before erasing")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"^\s*confirm\s*$", re.IGNORECASE)).click()
    expect(page.get_by_role("heading", name="Erase this client?")).to_be_visible()
    expect(page.get_by_text("crypto-shredding", exact=False)).to_be_visible()
    assert_accessible(page, context="the erasure confirmation")
    page.get_by_label("To confirm, type the client's login email").fill("wrong@example.com")
    page.get_by_role("button", name="Erase this client for good").click()
    expect(page.get_by_text("Type the client's login email exactly")).to_be_visible()
    assert_accessible(page, context="the erasure confirmation, wrong email")
    page.get_by_label("To confirm, type the client's login email").fill("daniel@example.com")
    page.get_by_role("button", name="Erase this client for good").click()
    expect(page.get_by_text(re.compile(r"The client was erased: \d+ data key"))).to_be_visible()
    assert_accessible(page, context="after erasing a client")

    page.goto(f"/staff/clients/{daniel.pk}/")
    expect(page.get_by_text("This client's details were erased.")).to_be_visible()
    expect(page.get_by_text("Daniel Reyes")).to_have_count(0)
    assert_accessible(page, context="an erased client's record")

    assert server_activity.wait_until_quiet()
    assert CareAssignment.objects.filter(client=maya, clinician=clinician_user).exists()
    kind, owner_id = client_owner(daniel.pk)
    assert not DataKey.objects.filter(owner_kind=kind, owner_id=owner_id,
                                      destroyed_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action=Action.CLIENT_SEARCHED,
                                     actor_id=admin_user.pk).count() == 1
    assert AuditEvent.objects.get(action=Action.CLIENT_ERASED).subject_id == daniel.pk
