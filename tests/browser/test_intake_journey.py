"""The intake as a client meets it on a phone: start, type, see it saved, reload and find it
still there, answer every page, check the answers and send them."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from intake.models import Intake
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.audit.verify import verify_chain
from portal.models import CareAssignment, User
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import ServerActivity, field, sign_in
from tests.factories import PASSWORD
from tests.helpers import closing_acknowledgement

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
    assert_accessible(page, context="the intake's start page")
    page.get_by_role("button", name="Start").click()

    # Page 1: type, wait for the autosave, reload: the answer is still there.
    _on_page(page, "about_you")
    expect(page.locator("#intake-step")).to_have_text("Step 1 of 7")
    assert_accessible(page, context="intake page 1")
    name = page.get_by_role("textbox", name=re.compile(r"^Your full legal name"))
    name.fill("Robin <Example>")
    expect(page.locator("#autosave-status")).to_contain_text(re.compile(r"Saved at \d\d:\d\d"))
    assert_accessible(page, context="intake page 1, after an autosave")
    page.reload()
    expect(name).to_have_value("Robin <Example>")
    page.get_by_label(re.compile(r"^Your date of birth")).fill("1990-04-21")
    # Why a question is asked is one tap away.
    why = page.locator("#q-legal_name").get_by_text("Why we ask this")
    why.click()
    expect(page.locator("#q-legal_name").get_by_text("for your records")).to_be_visible()
    assert_accessible(page, context="intake page 1, a 'why we ask this' open")
    _next(page)

    _on_page(page, "what_brings_you")
    assert_accessible(page, context="intake page 2")
    page.get_by_role("textbox", name=re.compile(r"^In your own words")).fill(
        "I keep arguing with my sister.")
    _next(page)

    _on_page(page, "feelings")
    expect(page.get_by_text("This page asks about low mood and worry")).to_be_visible()
    assert_accessible(page, context="intake page 3")
    for item in FEELINGS_ITEMS:
        page.locator(f"#q-{item}").get_by_label("Not at all", exact=True).check()
    assert_accessible(page, context="intake page 3, answered")
    _next(page)

    # Nothing is required on the next three pages.
    for section in ("safety", "relationships", "health"):
        _on_page(page, section)
        assert_accessible(page, context=f"the intake's {section} page")
        _next(page)

    _on_page(page, "practicalities")
    note = page.locator("#q-message_note")
    expect(note).to_be_hidden()  # shown only once messages may be left
    assert_accessible(page, context="the intake's last page")
    page.locator("#q-leave_messages").get_by_label("Yes", exact=True).check()
    expect(note).to_be_visible()
    assert_accessible(page, context="the intake's last page, with the message note shown")
    _next(page)

    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("Robin <Example>")).to_be_visible()
    expect(page.get_by_text("21 Apr 1990")).to_be_visible()
    expect(page.get_by_text("Still to answer")).to_have_count(0)
    assert_accessible(page, context="the intake's review page")
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", name="What you sent")).to_be_visible()
    expect(page.get_by_text("You sent these answers on")).to_be_visible()
    expect(page.get_by_text("I keep arguing with my sister.")).to_be_visible()
    assert_accessible(page, context="the sent intake")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    assert server_activity.wait_until_quiet()
    intake = Intake.objects.get(client=client_user)
    assert intake.is_submitted
    assert intake.answers["legal_name"] == "Robin <Example>"


def test_a_safety_answer_reaches_the_clinician_who_sees_scores_and_acknowledges(
    open_page: Callable[..., Page], client_user: User, clinician_user: User,
    server_activity: ServerActivity,
) -> None:
    """The issue's "done when": a client on a phone answers, meets the crisis text after a
    safety answer, sends, downloads the PDF; their clinician finds the alert at the top of
    their home, sees the scores, acknowledges with a note of what they did, marks the intake
    reviewed and downloads a copy after confirming their password."""
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    phone = open_page("phone")
    sign_in(phone, client_user)
    phone.get_by_role("link", name="Your intake").click()
    phone.get_by_role("button", name="Start").click()
    _on_page(phone, "about_you")
    phone.get_by_role("textbox", name=re.compile(r"^Your full legal name")).fill("Sam Rivers")
    phone.get_by_label(re.compile(r"^Your date of birth")).fill("1988-09-02")
    _next(phone)
    _on_page(phone, "what_brings_you")
    phone.get_by_role("textbox", name=re.compile(r"^In your own words")).fill("Hard months.")
    _next(phone)
    _on_page(phone, "feelings")
    for item in FEELINGS_ITEMS:
        answer = "Several days" if item == "phq9_9" else "More than half the days"
        phone.locator(f"#q-{item}").get_by_label(answer, exact=True).check()
    _next(phone)
    _on_page(phone, "safety")
    expect(phone.get_by_role("heading", name="Thank you for telling us")).to_be_visible()
    assert_accessible(phone, context="the safety page with the crisis text")
    for _ in ("safety", "relationships", "health"):
        _next(phone)
    _on_page(phone, "practicalities")
    phone.locator("#q-leave_messages").get_by_label("No", exact=True).check()
    _next(phone)
    expect(phone.get_by_role("heading", name="Check your answers")).to_be_visible()
    assert_accessible(phone, context="the review page, with a safety answer")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="What you sent")).to_be_visible()
    assert_accessible(phone, context="the sent intake, with a safety answer")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download a copy (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert "Sam" not in download.value.suggested_filename
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    desk = open_page("desktop")
    sign_in(desk, clinician_user)
    alerts = desk.get_by_role("region", name=re.compile(r"^Safety alerts"))
    expect(alerts).to_contain_text("1 intake needs prompt review.")
    assert_accessible(desk, context="the clinician's home with a safety alert")
    alerts.get_by_role("link", name=re.compile(re.escape(client_user.email))).click()
    expect(desk.get_by_role("heading", name="Needs prompt review")).to_be_visible()
    # PHQ-9: eight items at 2 and item 9 at 1 = 17; GAD-7: seven at 2 = 14.
    expect(desk.get_by_role("img", name="PHQ-9: 17 out of 27, Moderately severe")
           ).to_be_visible()
    expect(desk.get_by_role("img", name="GAD-7: 14 out of 21, Moderate")).to_be_visible()
    expect(desk.get_by_role("cell", name="17 out of 27")).to_be_visible()
    assert_accessible(desk, context="the staff intake page, alert open")

    # Acknowledging needs a note of what was done; without one the server says so.
    acknowledge = desk.get_by_role("button", name="I have seen this and will follow up")
    acknowledge.click()
    expect(desk.get_by_text("Please write what you did or will do")).to_be_visible()
    assert_accessible(desk, context="the staff intake page, acknowledgement refused")
    desk.get_by_role("textbox", name="What you did or will do").fill(
        "Called the client, safe plan agreed")
    acknowledge.click()
    expect(desk.get_by_role("heading", name="Safety alert reviewed")).to_be_visible()
    expect(desk.get_by_text("Called the client, safe plan agreed")).to_be_visible()
    assert_accessible(desk, context="the staff intake page, alert acknowledged")

    desk.get_by_role("button", name="Mark as reviewed").click()
    expect(desk.get_by_text("The intake is marked as reviewed by you.")).to_be_visible()
    assert_accessible(desk, context="the staff intake page, reviewed")

    # A copy leaves the portal: the password is asked for again first.
    desk.get_by_role("link", name="Download as PDF").click()
    expect(desk.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    assert_accessible(desk, context="the password check before a staff export")
    field(desk, "Password").fill(PASSWORD)
    with desk.expect_download() as staff_download:
        desk.get_by_role("button", name=re.compile(r"^\s*confirm\s*$", re.IGNORECASE)).click()
    assert staff_download.value.suggested_filename.endswith(".pdf")
    with open(staff_download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    desk.goto("/staff/")
    expect(desk.get_by_text("No intake is waiting for a safety review.")).to_be_visible()
    expect(desk.get_by_role("region", name=re.compile(r"^Safety alerts"))).to_have_count(0)
    assert_accessible(desk, context="the clinician's home, no alert left")

    assert server_activity.wait_until_quiet()
    intake = Intake.objects.get(client=client_user)
    assert intake.safety_alert.closed_by_id == clinician_user.pk
    assert closing_acknowledgement(intake.safety_alert).note == (
        "Called the client, safe plan agreed")
    assert intake.reviewed_by_id == clinician_user.pk
    exports = AuditEvent.objects.filter(action=Action.INTAKE_EXPORTED, subject_id=client_user.pk)
    assert sorted(str(e.actor_id) for e in exports) == sorted(
        [str(client_user.pk), str(clinician_user.pk)])
    assert verify_chain().intact
