"""The intake as a client meets it on a phone: start, type, see it saved, reload and find it
still there, answer every page, check the answers and send them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from intake.models import Intake
from portal.models import User
from tests.browser.conftest import ServerActivity, sign_in

pytestmark = pytest.mark.browser

FEELINGS_ITEMS = [f"phq9_{n}" for n in range(1, 10)] + [f"gad7_{n}" for n in range(1, 8)]
SECTION_URL = re.compile(r"/intake/[0-9a-f-]+/section/(\w+)/$")


def _on_page(page: Page, section: str) -> None:
    expect(page).to_have_url(re.compile(rf"/intake/[0-9a-f-]+/section/{section}/$"))


def _next(page: Page) -> None:
    page.get_by_role("button", name=re.compile(r"^Next")).click()


def test_a_client_fills_in_the_intake_on_a_phone_and_nothing_typed_is_lost(
    phone_page: Page, client_user: User, server_activity: ServerActivity
) -> None:
    page = phone_page
    sign_in(page, client_user)
    page.get_by_role("link", name="Your intake").click()
    expect(page.get_by_role("heading", name="Getting to know you")).to_be_visible()
    page.get_by_role("button", name="Start").click()

    # Page 1: type, wait for the autosave, reload: the answer is still there.
    _on_page(page, "about_you")
    expect(page.locator("#intake-step")).to_have_text("Step 1 of 7")
    name = page.get_by_role("textbox", name=re.compile(r"^Your full legal name"))
    name.fill("Robin <Example>")
    expect(page.locator("#autosave-status")).to_contain_text(re.compile(r"Saved at \d\d:\d\d"))
    page.reload()
    expect(name).to_have_value("Robin <Example>")
    page.get_by_label(re.compile(r"^Your date of birth")).fill("1990-04-21")
    # Why a question is asked is one tap away.
    why = page.locator("#q-legal_name").get_by_text("Why we ask this")
    why.click()
    expect(page.locator("#q-legal_name").get_by_text("for your records")).to_be_visible()
    _next(page)

    _on_page(page, "what_brings_you")
    page.get_by_role("textbox", name=re.compile(r"^In your own words")).fill(
        "I keep arguing with my sister.")
    _next(page)

    _on_page(page, "feelings")
    expect(page.get_by_text("This page asks about low mood and worry")).to_be_visible()
    for item in FEELINGS_ITEMS:
        page.locator(f"#q-{item}").get_by_label("Not at all", exact=True).check()
    _next(page)

    # Nothing is required on the next three pages.
    for section in ("safety", "relationships", "health"):
        _on_page(page, section)
        _next(page)

    _on_page(page, "practicalities")
    note = page.locator("#q-message_note")
    expect(note).to_be_hidden()  # shown only once messages may be left
    page.locator("#q-leave_messages").get_by_label("Yes", exact=True).check()
    expect(note).to_be_visible()
    _next(page)

    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("Robin <Example>")).to_be_visible()
    expect(page.get_by_text("21 April 1990")).to_be_visible()
    expect(page.get_by_text("Still to answer")).to_have_count(0)
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", name="What you sent")).to_be_visible()
    expect(page.get_by_text("You sent these answers on")).to_be_visible()
    expect(page.get_by_text("I keep arguing with my sister.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    assert server_activity.wait_until_quiet()
    intake = Intake.objects.get(client=client_user)
    assert intake.is_submitted
    assert intake.answers["legal_name"] == "Robin <Example>"
