"""Accessibility the axe-core checks in the journeys cannot see by themselves: the intake
done with the keyboard alone, the key pages at 320 px and at 200% zoom without sideways
scrolling, required fields marked on screen without changing their names, and the idle
sign-out warning as a screen reader meets it.

Every journey also runs ``assert_accessible`` (tests/browser/accessibility.py) on each page
it visits; these tests add what only a person driving the page would notice.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from consents.defaults import install_default_documents
from consents.models import ConsentVersion, Requirement, VersionStatus
from consents.services import consent_sign
from intake.models import Intake
from portal.models import ClientProfile, PracticeSettings, User
from portal.roles import Role
from tests.browser.accessibility import (
    assert_accessible,
    assert_focus_visible,
    assert_no_horizontal_scroll,
)
from tests.browser.conftest import ServerActivity, sign_in
from tests.browser.test_foundation_journeys import _leave_session_with
from tests.factories import UserFactory, fill_practice_settings
from tests.intake_data import filled_draft, submitted_intake

pytestmark = pytest.mark.browser

SECTIONS = ("about_you", "what_brings_you", "feelings", "safety", "relationships", "health",
            "practicalities")
PHQ9 = [f"phq9_{n}" for n in range(1, 10)]
GAD7 = [f"gad7_{n}" for n in range(1, 8)]
# More Tab presses than any page needs to reach its last control: a page that needs more
# has lost its way (a focus trap, or a control the keyboard cannot reach).
MAX_TABS = 120


def _sign_what_the_intake_needs(client: User, name: str = "Robin Example") -> None:
    """The consents the intake waits for, signed through the service: this test is about
    the intake (test_consent_journey signs them through the pages)."""
    fill_practice_settings()
    install_default_documents(publish=True)
    for version in ConsentVersion.objects.filter(
        status=VersionStatus.PUBLISHED, document__requirement=Requirement.BEFORE_INTAKE
    ):
        consent_sign(client=client, version_id=version.pk, expected_sha256=version.sha256,
                     typed_name=name, agreed=True)


# --- 1. The intake with the keyboard alone ----------------------------------------------


class Keyboard:
    """A person with a keyboard and no mouse: Tab and Shift+Tab to move, Space, Enter and
    the arrow keys to act, typing to write. Every stop the focus makes on the way is
    checked: something is focused, its focus indicator is drawn, and it is not hidden."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.stops = 0

    def tab_to(self, target: Locator, *, backwards: bool = False) -> None:
        """Press Tab (Shift+Tab ``backwards``) until the focus is on ``target`` or inside it
        (a radio group's container: the browser picks the radio that takes the focus)."""
        element = target.element_handle()
        for _ in range(MAX_TABS):
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            self.stops += 1
            assert_focus_visible(self.page, context=f"tab stop {self.stops}")
            if element.evaluate("element => element.contains(document.activeElement)"):
                return
        pytest.fail(f"{MAX_TABS} presses of Tab did not reach {target} on {self.page.url}",
                    pytrace=False)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)


def _choices(page: Page, question: str) -> Locator:
    """A question's group of radio buttons (its fieldset, not the "Why we ask this" after)."""
    return page.locator(f"#q-{question} fieldset")


def _on_section(page: Page, section: str) -> None:
    expect(page).to_have_url(re.compile(rf"/intake/[0-9a-f-]+/section/{section}/$"))
    assert_accessible(page, context=f"intake page {section}, reached by keyboard")


def _next_page(keys: Keyboard) -> None:
    keys.tab_to(keys.page.get_by_role("button", name=re.compile(r"^Next")))
    keys.press("Enter")


def _date_digits(page: Page, year: int, month: int, day: int) -> str:
    """The digits to type into a date field, in the order the browser's locale shows its
    parts (month first in en-US, day first in en-GB): a date field is typed into part by
    part, and each part moves on to the next once full."""
    order = page.evaluate(
        """() => new Intl.DateTimeFormat(navigator.language)
             .formatToParts(new Date(2000, 10, 22))
             .filter((part) => ['day', 'month', 'year'].includes(part.type))
             .map((part) => part.type)"""
    )
    parts = {"year": f"{year:04d}", "month": f"{month:02d}", "day": f"{day:02d}"}
    return "".join(parts[name] for name in order)


def test_a_client_completes_the_intake_with_the_keyboard_alone_on_a_phone(
    phone_page: Page, client_user: User, server_activity: ServerActivity
) -> None:
    """No mouse, no tapping, nothing filled in by the test: from the home page through
    every page of the intake to "Send my answers", with the keys a keyboard or switch user
    has. Every focus stop on the way shows a focus indicator that is not covered."""
    _sign_what_the_intake_needs(client_user)
    page = phone_page
    # Jumping, not gliding, to each newly focused element (a setting people who get
    # motion sick choose) lets each of the ~200 focus stops be checked without waiting for
    # a smooth scroll to end; where the page comes to rest is the same either way.
    page.emulate_media(reduced_motion="reduce")
    sign_in(page, client_user)  # signing in is the foundation journeys' business
    expect(page.get_by_role("heading", name="Welcome. Take this at your own pace.")
           ).to_be_visible()
    keys = Keyboard(page)

    keys.tab_to(page.get_by_role("link", name="Your intake"))
    keys.press("Enter")
    expect(page.get_by_role("heading", name="Getting to know you")).to_be_visible()
    keys.tab_to(page.get_by_role("button", name="Start"))
    keys.press("Space")

    # About you: a name, and a date of birth typed part by part.
    _on_section(page, "about_you")
    keys.tab_to(page.get_by_role("textbox", name=re.compile(r"^Your full legal name")))
    keys.type("Robin Keys")
    date_of_birth = page.get_by_label(re.compile(r"^Your date of birth"))
    keys.tab_to(date_of_birth)
    keys.type(_date_digits(page, 1990, 4, 21))
    expect(date_of_birth).to_have_value("1990-04-21")
    _next_page(keys)

    _on_section(page, "what_brings_you")
    keys.tab_to(page.get_by_role("textbox", name=re.compile(r"^In your own words")))
    keys.type("I keep arguing with my sister.")
    _next_page(keys)

    # How you have been feeling: sixteen radio groups. Tab enters a group on its first
    # choice and Space picks it; the arrow keys move (and pick) within a group; Shift+Tab
    # goes back to change an answer.
    _on_section(page, "feelings")
    for item in PHQ9 + GAD7:
        keys.tab_to(_choices(page, item))
        keys.press("Space")
        expect(_choices(page, item).get_by_label("Not at all", exact=True)).to_be_checked()
    keys.tab_to(_choices(page, "gad7_6"), backwards=True)
    keys.press("ArrowDown")
    expect(_choices(page, "gad7_6").get_by_label("Several days", exact=True)).to_be_checked()
    expect(_choices(page, "gad7_6").get_by_label("Not at all", exact=True)).not_to_be_checked()
    _next_page(keys)

    _on_section(page, "safety")
    keys.tab_to(_choices(page, "thoughts_of_ending_life_now"))
    keys.press("ArrowDown")  # from "Yes", focused but not chosen, to "No"
    expect(_choices(page, "thoughts_of_ending_life_now").get_by_label("No", exact=True)
           ).to_be_checked()
    _next_page(keys)

    for section in ("relationships", "health"):
        _on_section(page, section)  # nothing on these pages is required
        _next_page(keys)

    # The note about messages appears once messages may be left, and is reachable at once.
    _on_section(page, "practicalities")
    keys.tab_to(_choices(page, "leave_messages"))
    keys.press("Space")
    note = page.get_by_role("textbox", name=re.compile(r"^Anything we should know about leaving"))
    expect(note).to_be_visible()
    keys.tab_to(note)
    keys.type("Texts are best.")
    _next_page(keys)

    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("Robin Keys")).to_be_visible()
    expect(page.get_by_text("Still to answer")).to_have_count(0)
    assert_accessible(page, context="the review page, reached by keyboard")
    keys.tab_to(page.get_by_role("button", name="Send my answers"))
    keys.press("Enter")

    expect(page.get_by_role("heading", name="What you sent")).to_be_visible()
    expect(page.get_by_text("I keep arguing with my sister.")).to_be_visible()
    assert_no_horizontal_scroll(page, context="the sent intake on a phone")

    assert server_activity.wait_until_quiet()
    intake = Intake.objects.get(client=client_user)
    assert intake.is_submitted
    answers = intake.answers
    assert (answers["legal_name"], answers["date_of_birth"]) == ("Robin Keys", "1990-04-21")
    assert answers["gad7_6"] == 1 and answers["phq9_1"] == 0
    assert answers["thoughts_of_ending_life_now"] == "no"
    assert answers["leave_messages"] == "yes"
    assert answers["message_note"] == "Texts are best."


# --- 2. Reflow: 320 px and 200% zoom ------------------------------------------------------

# WCAG 1.4.10 (Reflow) asks for content readable without scrolling in two directions at a
# width of 320 CSS pixels: what a 1280 px wide window shows at 400% zoom.
#
# 200% zoom is emulated with a 640x450 viewport at the normal pixel ratio. Zooming a
# browser does exactly this to the layout: the window's 1280x900 device pixels become a
# 640x450 CSS-pixel viewport, so media queries, rem sizes and line wrapping behave as they
# do zoomed in. A device_scale_factor of 2 would draw each CSS pixel with more device
# pixels, as a high-density screen does, without changing the layout at all, so it would
# test nothing more; it cannot be changed on an open page either, which would cost every
# staff member a second sign-in (and a second authenticator code) per size.
#
# Both are desktop contexts (no mobile viewport meta handling), as a zoomed desktop
# browser is; the phone-sized journeys already cover mobile.
REFLOW_SIZES: dict[str, ViewportSize] = {
    "320 px wide": {"width": 320, "height": 640},
    "200% zoom": {"width": 640, "height": 450},
}


def _check_reflow(page: Page, paths: list[tuple[str, str]]) -> None:
    for size, viewport in REFLOW_SIZES.items():
        page.set_viewport_size(viewport)
        for name, path in paths:
            page.goto(path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            context = f"{name} at {size}"
            assert_no_horizontal_scroll(page, context=context)
            assert_accessible(page, context=context)


def test_key_pages_reflow_at_320_px_and_200_percent_zoom(
    open_page: Callable[..., Page], client_user: User, admin_user: User
) -> None:
    """The client's pages (home, consents, signing, every intake page, the review, their
    details) and the staff's (home, client list, a record, an intake, the consent
    dashboard, their name) fit the width
    at 320 px and at 200% zoom: nothing to scroll sideways for, wide tables scrolling in
    their own keyboard-reachable region, and no WCAG failure axe can see at that size."""
    _sign_what_the_intake_needs(client_user)
    ClientProfile.objects.create(user=client_user, legal_name="Robin Example")
    draft = filled_draft(client_user)
    to_sign = ConsentVersion.objects.get(status=VersionStatus.PUBLISHED,
                                         document__kind="telehealth")
    # A second client whose intake was sent with a safety answer: the staff pages at their
    # fullest (alert, scores, a wide activity table).
    sent = UserFactory(role=Role.CLIENT, email="sam.sent.a.long.address@example.com")
    ClientProfile.objects.create(user=sent, legal_name="Sam Sent")
    _sign_what_the_intake_needs(sent, "Sam Sent")
    intake = submitted_intake(sent, phq9=2, item_9=1)

    client = open_page("desktop")
    sign_in(client, client_user)
    _check_reflow(client, [
        ("the client's home", "/me/"),
        ("my consents", "/consents/"),
        ("a sign page", f"/consents/{to_sign.pk}/sign/"),
        *[(f"intake page {section}", f"/intake/{draft.pk}/section/{section}/")
          for section in SECTIONS],
        ("the intake's review page", f"/intake/{draft.pk}/review/"),
        ("your details", "/me/details/"),
    ])

    staff = open_page("desktop")
    sign_in(staff, admin_user)
    _check_reflow(staff, [
        ("the staff home", "/staff/"),
        ("the client list", "/staff/clients/"),
        ("a client's record", f"/staff/clients/{sent.pk}/"),
        ("the staff intake page", f"/staff/intakes/{intake.pk}/"),
        ("the consent dashboard", "/staff/consents/"),
        ("your name", "/staff/name/"),
        ("the outgoing messages", "/staff/outgoing/"),
    ])


# --- 3. Required fields: seen, and not heard twice -----------------------------------------


def _required_marker(page: Page, label: str) -> Locator:
    return page.locator("label", has_text=label).locator(".asteriskField")


def test_required_fields_are_marked_on_screen_without_changing_their_names(
    desktop_page: Page, admin_user: User
) -> None:
    """A form with optional fields says which are required, in words; a screen reader
    hears "required" once, from the control itself, and the field's name stays its label.
    Where every field is required (signing in), the form says nothing extra."""
    page = desktop_page
    page.goto("/accounts/login/")
    expect(page.get_by_role("textbox", name="Email", exact=True)).to_have_attribute(
        "required", "")
    expect(_required_marker(page, "Email")).to_be_hidden()

    sign_in(page, admin_user)
    page.goto("/staff/clients/")
    search = page.get_by_role("textbox", name="Legal name, date of birth or phone", exact=True)
    expect(search).to_have_attribute("required", "")
    marker = _required_marker(page, "Legal name, date of birth or phone")
    expect(marker).to_be_visible()
    expect(marker).to_have_text("(required)")
    expect(marker).to_have_attribute("aria-hidden", "true")
    expect(page.get_by_role("combobox", name="Search by", exact=True)).not_to_have_attribute(
        "required", "")
    expect(_required_marker(page, "Search by")).to_have_count(0)


# --- 4. The idle warning, for screen reader users ------------------------------------------


def test_the_idle_warning_is_a_modal_dialog_a_screen_reader_announces(
    open_page: Callable[..., Page], client_user: User, server_activity: ServerActivity
) -> None:
    """When the idle warning opens it is a modal dialog named by its heading, described
    by its text (read out with the name when the focus moves in), the focus is inside it on
    "Stay signed in", the countdown is announced every 15 seconds from inside the dialog,
    and staying hands the focus back to where the person was."""
    PracticeSettings.load()
    PracticeSettings.objects.update(idle_timeout_minutes=5)
    page = open_page("phone", fake_clock=True)
    sign_in(page, client_user)
    expect(page.get_by_role("heading", name="Welcome. Take this at your own pace.")
           ).to_be_visible()
    keys = Keyboard(page)
    where_they_were = page.get_by_role("link", name="See who has opened your record")
    keys.tab_to(where_they_were)

    _leave_session_with(page, server_activity, seconds_left=65)

    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_visible(timeout=10_000)
    assert dialog.evaluate("element => element.matches(':modal')"), "not a modal dialog"
    expect(dialog).to_have_accessible_description(
        re.compile(r"you'll be signed out in \d+ seconds\. Anything you've saved will still be "
                   r"here\.$"))
    assert dialog.evaluate("element => element.contains(document.activeElement)")
    expect(dialog.get_by_role("button", name="Stay signed in")).to_be_focused()
    assert_focus_visible(page, context="the idle warning")
    assert_accessible(page, context="the idle warning, open")

    # The countdown itself is not live (a number changing every second would drown
    # everything else out); a polite status inside the dialog says the time left every 15
    # seconds. Inside, because a live region behind a modal dialog is inert and not read.
    live = dialog.locator("[aria-live]")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(live).to_have_text("")
    page.clock.run_for(16_000)
    expect(live).to_have_text("45 seconds left.")

    keys.press("Enter")
    expect(dialog).to_be_hidden()
    expect(where_they_were).to_be_focused()
    assert_focus_visible(page, context="after the idle warning closed")
    status = page.request.get("/session/status/").json()
    assert status["authenticated"] is True
