"""A returning client opens "About you" and finds what they already told the practice there,
changes one thing, sends the intake, and only that one thing changes on file."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from intake.models import Intake
from intake.services import intake_save_section
from portal.models import ClientProfile, User
from portal.services.profiles import SOURCE_CLIENT, profile_update
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import sign_in
from tests.intake_data import answers_by_section

pytestmark = pytest.mark.browser


def _answer_the_other_pages(client: User) -> None:
    """Every page after About you, saved as the pages would (the journey is about page 1)."""
    intake = Intake.objects.get(client=client, state="draft")
    for section, posted in list(answers_by_section().items())[1:]:
        outcome = intake_save_section(intake_id=intake.pk, client=client, section_id=section,
                                      posted=posted, revision=intake.revision)
        assert outcome.errors == {}
        intake = outcome.intake


def test_about_you_starts_from_the_details_on_file_and_only_a_change_is_sent(
    phone_page: Page, client_user: User
) -> None:
    profile_update(client=client_user, source=SOURCE_CLIENT, values={
        "legal_name": "Robin Q. Example", "preferred_name": "Rob",
        "date_of_birth": datetime.date(1988, 7, 3), "phone": "+1 555 010 0199"})
    page = phone_page
    sign_in(page, client_user)
    page.get_by_role("link", name="Your intake").click()
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(r"/section/about_you/$"))
    legal_name = page.get_by_role("textbox", name=re.compile(r"^Your full legal name"))
    expect(legal_name).to_have_value("Robin Q. Example")
    expect(page.get_by_label(re.compile(r"^Your date of birth"))).to_have_value("1988-07-03")
    phone = page.locator("#id_phone, [name=phone]").first
    expect(phone).to_have_value("+1 555 010 0199")
    assert_accessible(page, context="About you, filled from the details on file")

    phone.fill("+1 555 010 0777")
    page.get_by_role("button", name=re.compile(r"^Next")).click()
    expect(page).to_have_url(re.compile(r"/section/what_brings_you/$"))
    _answer_the_other_pages(client_user)
    page.goto(page.url.replace("/section/what_brings_you/", "/review/"))
    page.get_by_role("button", name=re.compile(r"^Send")).click()
    expect(page).to_have_url(re.compile(r"/intake/[0-9a-f-]+/$"))

    profile = ClientProfile.objects.get(user=client_user)
    assert profile.phone == "+1 555 010 0777"
    assert profile.legal_name == "Robin Q. Example"
    assert profile.preferred_name == "Rob"
