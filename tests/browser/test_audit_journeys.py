"""The audit trail as people meet it: a clinician opens a client's details, the client sees
who opened their record, and the practice admin finds the opening in the audit trail."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from portal.audit.verify import verify_chain
from portal.models import CareAssignment, ClientProfile, User
from portal.roles import Role
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


def test_a_clinicians_opening_shows_on_the_clients_page_and_in_the_audit_trail(
    open_page: Callable[..., Page], clinician_user: User, admin_user: User
) -> None:
    client = UserFactory(role=Role.CLIENT, email="river.client@example.com")
    ClientProfile.objects.create(user=client, legal_name="River Okafor-Lind")
    CareAssignment.objects.create(client=client, clinician=clinician_user)

    staff = open_page("desktop")
    sign_in(staff, clinician_user)
    staff.get_by_role("link", name="Go to clients").click()
    expect(staff.get_by_role("heading", name="Clients", level=1)).to_be_visible()
    assert_accessible(staff, context="the clinician's client list")
    staff.get_by_role("link", name=client.email).click()
    expect(staff.get_by_role("heading", name=re.compile(r"^Client record"))).to_be_visible()
    expect(staff.get_by_text("River Okafor-Lind")).to_be_visible()
    assert_accessible(staff, context="a client's record, as their clinician")

    phone = open_page("phone")
    sign_in(phone, client)
    phone.get_by_role("link", name="See who has opened your record").click()
    expect(phone.get_by_role("heading", name="Who has opened your record")).to_be_visible()
    expect(phone.get_by_text(re.compile(r"Dr\. Lee \(Clinician\) opened your contact details"))
           ).to_be_visible()
    assert_accessible(phone, context="who has opened my record")

    admin = open_page("desktop")
    sign_in(admin, admin_user)
    admin.get_by_role("link", name="Go to the audit trail").click()
    expect(admin.get_by_role("heading", name="Audit trail", level=1)).to_be_visible()
    assert_accessible(admin, context="the audit trail")
    admin.get_by_label("Action").select_option(label="Client profile opened")
    admin.get_by_role("button", name=re.compile("filter|show|apply", re.IGNORECASE)).click()
    row = admin.get_by_role("row").filter(has_text="Client profile opened")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Dr. Lee")
    assert_accessible(admin, context="the audit trail, filtered")
    assert verify_chain().intact
