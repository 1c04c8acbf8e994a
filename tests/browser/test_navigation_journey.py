"""The top menu as each role meets it: a clinician on a phone opens the collapsed menu with
the keyboard and finds exactly their sections, the one they are in marked; a practice admin
at a desk finds theirs; and a client who has signed everything and sent their intake is told
so, and what happens next."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from consents.defaults import install_default_documents
from consents.models import DocumentKind
from consents.services import consent_sign, consent_statuses
from portal.models import User
from tests.browser.accessibility import assert_accessible, assert_focus_visible
from tests.browser.conftest import sign_in
from tests.factories import fill_practice_settings
from tests.intake_data import submitted_intake

pytestmark = pytest.mark.browser

CLINICIAN_SECTIONS = ["Intakes", "Clients", "Cases", "Scores", "Audit trail"]
ADMIN_SECTIONS = ["Intakes", "Clients", "Cases", "Scores", "Consents", "Invitations", "Audit trail",
                  "Outgoing messages", "Practice settings"]


def _sections(page: Page) -> list[str]:
    return [text.strip() for text in
            page.locator('[data-nav="sections"] a').all_inner_texts()]


def _marked(page: Page) -> list[str]:
    return [text.strip() for text in
            page.locator('[data-nav="sections"] a[aria-current="page"]').all_inner_texts()]


def test_a_clinician_on_a_phone_finds_their_sections_with_the_keyboard(
    phone_page: Page, clinician_user: User
) -> None:
    page = phone_page
    sign_in(page, clinician_user)
    expect(page.get_by_role("heading", name="Staff home")).to_be_visible()
    menu_button = page.get_by_role("button", name="Menu")
    expect(page.get_by_role("link", name="Intakes", exact=True)).to_be_hidden()

    # Open the menu with the keyboard: static/portal/js/menu.js, no inline script.
    menu_button.focus()
    assert_focus_visible(page, context="the menu button")
    page.keyboard.press("Enter")
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Intakes", exact=True)).to_be_visible()
    assert _sections(page) == CLINICIAN_SECTIONS
    assert _marked(page) == []
    assert_accessible(page, context="staff home with the phone menu open")

    page.get_by_role("link", name="Intakes", exact=True).click()
    expect(page).to_have_url(f"{page.url.split('/staff/')[0]}/staff/intakes/")
    # The new page has loaded (its heading shows) before its own menu is opened.
    expect(page.get_by_role("heading", name="Intakes", level=1)).to_be_visible()
    page.get_by_role("button", name="Menu").click()
    current = page.get_by_role("link", name="Intakes", exact=True)
    expect(current).to_have_attribute("aria-current", "page")
    assert _marked(page) == ["Intakes"]
    # Marked for the eye too, not only for screen readers.
    other = page.get_by_role("link", name="Clients", exact=True)
    assert current.evaluate("e => getComputedStyle(e).fontWeight") != \
        other.evaluate("e => getComputedStyle(e).fontWeight")
    assert_accessible(page, context="the intake list with the phone menu open")


def test_an_admin_at_a_desk_finds_theirs_with_the_current_one_marked(
    desktop_page: Page, admin_user: User
) -> None:
    page = desktop_page
    sign_in(page, admin_user)
    expect(page.get_by_role("heading", name="Staff home")).to_be_visible()
    assert _sections(page) == ADMIN_SECTIONS
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()  # wide: always shown

    page.get_by_role("link", name="Invitations", exact=True).click()
    expect(page.get_by_role("link", name="Invitations", exact=True)
           ).to_have_attribute("aria-current", "page")
    assert _marked(page) == ["Invitations"]
    assert_accessible(page, context="the invitation list")

    page.get_by_role("link", name="Consents", exact=True).click()
    assert _marked(page) == ["Consents"]
    assert_accessible(page, context="the consent dashboard")


def test_a_client_who_signed_and_sent_sees_what_happens_next(
    phone_page: Page, client_user: User
) -> None:
    fill_practice_settings()
    install_default_documents(publish=True)
    for status in consent_statuses(client_user):
        if status.blocks and status.document.kind != DocumentKind.RELEASE_AUTHORIZATION:
            assert status.current is not None, "a document that blocks has a published version"
            consent_sign(client=client_user, version_id=status.current.id,
                         expected_sha256=status.current.sha256,
                         typed_name="Robin Example", agreed=True)
    submitted_intake(client_user)
    page = phone_page
    sign_in(page, client_user)

    done = page.get_by_role("region", name="You're all set")
    expect(done).to_be_visible()
    expect(done.get_by_role("heading", name="What happens next")).to_be_visible()
    expect(done).to_contain_text("Your therapist will read your answers before you meet.")
    expect(page.get_by_role("heading", name="Please read and sign")).to_have_count(0)
    expect(page.get_by_text("will appear here")).to_have_count(0)
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Home", exact=True)
           ).to_have_attribute("aria-current", "page")
    assert_accessible(page, context="the client's home, everything signed and sent")
