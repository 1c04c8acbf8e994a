"""A check-in on a phone, as a client meets it: the home page says one is waiting, one
page per questionnaire in the intake's calm layout, the crisis text appearing the moment
item 9 is answered above "Not at all" (autosave), "I'd rather not answer today", the
review, sending, thank you. Every page passes axe-core (WCAG 2.x A/AA)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from intake.models import SafetyAlert
from measures.models import CheckIn, MeasureResponse
from measures.schedules import schedule_set
from portal.models import CareAssignment, User
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_a_client_completes_a_check_in_on_a_phone(
    open_page: Callable[..., Page], client_user: User, clinician_user: User,
) -> None:
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    schedule = schedule_set(client=client_user, case=None, instruments=["phq9", "gad7"],
                            frequency="weekly", by=clinician_user)
    check_in = CheckIn.objects.get(schedule=schedule)

    page = open_page("phone")
    sign_in(page, client_user)
    page.goto("/me/")
    expect(page.get_by_role("heading", name="A short check-in is waiting")).to_be_visible()
    page.get_by_role("link", name="Go to your check-ins").click()
    assert_accessible(page, context="the client's check-ins")
    page.get_by_role("link", name=re.compile(r"^Start the check-in")).click()
    expect(page).to_have_url(re.compile(rf"/check-ins/{check_in.pk}/phq9/$"))
    page.wait_for_load_state("load")  # autosave.js listens only once it has run
    crisis = page.locator("#intake-crisis")
    expect(crisis).to_be_hidden()
    assert_accessible(page, context="the PHQ-9 page of a check-in")

    groups = page.get_by_role("group")
    for index in range(8):
        groups.nth(index).get_by_label("Not at all").check()
    groups.nth(8).get_by_label("Several days").check()
    expect(crisis).to_be_visible()
    expect(page.locator("#autosave-status")).to_contain_text(re.compile(r"Saved at"))
    assert_accessible(page, context="the PHQ-9 page, the crisis text shown")

    page.get_by_role("button", name="Next", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/check-ins/{check_in.pk}/gad7/$"))
    page.get_by_role("button", name="I'd rather not answer today").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("You chose not to answer these today.")).to_be_visible()
    assert_accessible(page, context="the check-in's review")
    page.get_by_role("button", name="Send my check-in").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert_accessible(page, context="the check-in's thank-you")

    assert SafetyAlert.objects.filter(check_in_id=check_in.pk).count() == 1
    assert list(MeasureResponse.objects.filter(check_in=check_in)
                .values_list("instrument", flat=True)) == ["phq9"]
