"""The foundation, as people meet it in a real browser: signing in on a phone, leaving in a
hurry, being invited, two-factor sign-in for staff, and the idle sign-out warning."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from importlib import import_module
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.mail import EmailMessage
from playwright.sync_api import Locator, Page, expect

from portal.middleware import LAST_ACTIVITY_KEY
from portal.models import DEFAULT_CRISIS_TEXT, PracticeSettings, User
from portal.roles import Role
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import (
    ServerActivity,
    field,
    fresh_totp_code,
    sign_in,
    submit_password,
    submit_totp_code,
)
from tests.factories import PASSWORD, UserFactory, totp_secret_of
from tests.helpers import current_totp_code, delivered_mail, mail_body

pytestmark = pytest.mark.browser

CLIENT_WELCOME = "Welcome. Take this at your own pace."
NEW_PASSWORD = "Quiet-meadow-river-7"
LINK_PATTERN = re.compile(r"https?://\S+/invitations/[^/\s]+/")
SIGN_IN_URL = re.compile(r"/accounts/login/(\?.*)?$")
CLIENT_HOME_URL = re.compile(r"/me/$")
ACTIVATE_AUTHENTICATOR_URL = re.compile(r"/accounts/2fa/totp/activate/")
QUICK_EXIT_URL = re.compile("^" + re.escape(settings.QUICK_EXIT_URL))
# The idle warning shows this long before sign-out (WARN_SECONDS in idle-timeout.js).
WARNING_SECONDS = 60


def _client_home_heading(page: Page) -> Locator:
    return page.get_by_role("heading", name=CLIENT_WELCOME)


def _session_key(page: Page) -> str:
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    return cookies[settings.SESSION_COOKIE_NAME]


def _sign_in_client(page: Page, user: User) -> None:
    """Sign in and wait until the home page has loaded, scripts included (a person cannot
    press Escape before the page has finished appearing; a test can)."""
    sign_in(page, user)
    page.wait_for_url(CLIENT_HOME_URL)
    expect(_client_home_heading(page)).to_be_visible()


# --- 1. Signing in on a phone ------------------------------------------------------------


def test_client_signs_in_on_a_phone_and_sees_their_home_and_the_crisis_line(
    phone_page: Page, client_user: User
) -> None:
    page = phone_page
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    assert_accessible(page, context="the sign-in page on a phone")

    submit_password(page, client_user.email, PASSWORD)

    expect(page).to_have_url(CLIENT_HOME_URL)
    expect(_client_home_heading(page)).to_be_visible()
    assert_accessible(page, context="the client's home on a phone")
    footer = page.get_by_role("contentinfo")
    expect(footer.get_by_role("heading", name="Need help right now?")).to_be_visible()
    expect(footer.get_by_text(DEFAULT_CRISIS_TEXT)).to_be_visible()
    # Nothing wider than the phone: no sideways scrolling to read anything.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# --- 2. Quick exit -----------------------------------------------------------------------


def _assert_left_and_signed_out(
    page: Page, server_activity: ServerActivity, session_key: str, sign_outs_before: int
) -> None:
    expect(page).to_have_url(QUICK_EXIT_URL)
    expect(page).to_have_title("Weather")
    # The beacon reached the server: the session is gone, not merely forgotten by the tab.
    assert server_activity.wait_for_sign_out(after=sign_outs_before), "quick exit did not sign out"
    assert not Session.objects.filter(session_key=session_key).exists()


def test_quick_exit_leaves_for_a_neutral_site_and_signs_the_client_out(
    phone_page: Page, client_user: User, server_activity: ServerActivity
) -> None:
    page = phone_page
    _sign_in_client(page, client_user)
    session_key, sign_outs = _session_key(page), server_activity.sign_outs

    page.get_by_role("link", name="Quick exit").click()

    _assert_left_and_signed_out(page, server_activity, session_key, sign_outs)
    # The portal page was replaced in the history: Back cannot bring the home page up again.
    page.go_back()
    expect(_client_home_heading(page)).to_have_count(0)
    assert "/me/" not in unquote(page.url), "the home page is still in the history"

    page.goto("/me/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/me/$"))
    expect(_client_home_heading(page)).to_have_count(0)


def test_pressing_escape_twice_is_a_quick_exit(
    phone_page: Page, client_user: User, server_activity: ServerActivity
) -> None:
    page = phone_page
    _sign_in_client(page, client_user)
    session_key, sign_outs = _session_key(page), server_activity.sign_outs

    page.keyboard.press("Escape")
    page.keyboard.press("Escape")

    _assert_left_and_signed_out(page, server_activity, session_key, sign_outs)


# --- 3. Invitations ----------------------------------------------------------------------


def test_admin_invites_a_client_who_signs_up_from_the_link_on_a_phone(
    open_page: Callable[..., Page],
    admin_user: User,
    mailoutbox: list[EmailMessage],
    server_activity: ServerActivity,
) -> None:
    admin_page = open_page("desktop")
    sign_in(admin_page, admin_user)
    expect(admin_page.get_by_role("heading", name="Staff home")).to_be_visible()
    assert_accessible(admin_page, context="the admin's staff home")

    admin_page.get_by_role("link", name="Invitations", exact=True).click()
    expect(admin_page.get_by_role("heading", name="Invitations", exact=True)).to_be_visible()
    assert_accessible(admin_page, context="the invitations page")
    field(admin_page, "Client's email address").fill("new.client@example.com")
    admin_page.get_by_role("button", name="Send invitation").click()

    expect(admin_page.get_by_text("Invitation sent.")).to_be_visible()
    expect(
        admin_page.get_by_role("cell", name="new.client@example.com", exact=True)
    ).to_be_visible()
    assert_accessible(admin_page, context="the invitations page, after sending one")
    assert len(delivered_mail()) == 1
    assert delivered_mail()[0].to == ["new.client@example.com"]
    link = LINK_PATTERN.search(mail_body(delivered_mail()[0]))
    assert link, delivered_mail()[0].body

    invitee = open_page("phone")
    invitee.goto(link.group(0))

    expect(invitee.get_by_role("heading", name="Create your account")).to_be_visible()
    assert_accessible(invitee, context="the invitation's sign-up page on a phone")
    email = field(invitee, "Email")
    expect(email).to_have_value("new.client@example.com")
    expect(email).not_to_be_editable()
    field(invitee, "Password").fill(NEW_PASSWORD)
    field(invitee, "Password (again)").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Create account").click()

    expect(invitee).to_have_url(CLIENT_HOME_URL)
    expect(_client_home_heading(invitee)).to_be_visible()
    assert_accessible(invitee, context="the new client's home")
    assert server_activity.wait_until_quiet()
    assert User.objects.filter(email="new.client@example.com").exists()


# --- 4. Two-factor sign-in for staff ------------------------------------------------------


def _a_wrong_code(secret: str) -> str:
    right = current_totp_code(secret)
    return next(code for code in ("000000", "111111") if code != right)


def test_clinician_needs_the_right_authenticator_code_to_reach_the_staff_home(
    desktop_page: Page, clinician_user: User
) -> None:
    page = desktop_page
    page.goto("/accounts/login/")
    submit_password(page, clinician_user.email, PASSWORD)

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    assert_accessible(page, context="the authenticator code page")
    submit_totp_code(page, _a_wrong_code(totp_secret_of(clinician_user)))

    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    assert_accessible(page, context="the authenticator code page, after a wrong code")
    expect(page.get_by_role("heading", name="Staff home")).to_have_count(0)
    # Still signed out: the staff home sends this browser to the sign-in page.
    response = page.request.get("/staff/", max_redirects=0)
    assert response.status == 302
    assert SIGN_IN_URL.search(response.headers["location"].split("?")[0])

    submit_totp_code(page, fresh_totp_code(totp_secret_of(clinician_user)))

    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", name="Staff home")).to_be_visible()
    assert_accessible(page, context="the clinician's staff home")


def test_staff_member_without_two_factor_is_sent_to_set_up_an_authenticator(
    desktop_page: Page,
) -> None:
    page = desktop_page
    clinician = UserFactory(role=Role.CLINICIAN, email="new.clinician@example.com")
    sign_in(page, clinician)

    # Not the staff home: the portal explains why, and allauth first asks for the password
    # again (adding a factor is a sensitive change, even right after signing in).
    expect(page.get_by_text("Staff accounts must use two-factor authentication")).to_be_visible()
    expect(page.get_by_role("heading", name="Staff home")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    assert_accessible(page, context="the password check before setting up two-factor")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"^\s*confirm\s*$", re.IGNORECASE)).click()

    expect(page).to_have_url(ACTIVATE_AUTHENTICATOR_URL)
    expect(
        page.get_by_role("heading", name=re.compile("authenticator", re.IGNORECASE))
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Staff home")).to_have_count(0)
    assert_accessible(page, context="the authenticator set-up page")

    # Typing the staff home's address leads back to the setup page.
    page.goto("/staff/")
    expect(page).to_have_url(ACTIVATE_AUTHENTICATOR_URL)
    expect(page.get_by_role("heading", name="Staff home")).to_have_count(0)


# --- 5. Idle sign-out warning -------------------------------------------------------------


def _leave_session_with(page: Page, server_activity: ServerActivity, seconds_left: float) -> None:
    """Make the server believe this browser has been idle until ``seconds_left`` remain,
    then jump the page's clock to when its script asks the server whether to warn.

    Reloading the page would not do: loading a page is activity, so the clock restarts.
    Both clocks move together instead: the server's through the session's last-activity
    time, the page's through Playwright's fake clock (real time keeps flowing after).
    """
    assert server_activity.wait_until_quiet()
    timeout = PracticeSettings.load().idle_timeout_minutes * 60
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=_session_key(page))
    store[LAST_ACTIVITY_KEY] = time.time() - (timeout - seconds_left)
    store.save()
    page.clock.fast_forward((timeout - WARNING_SECONDS + 1) * 1000)


@pytest.fixture
def idle_page(open_page: Callable[..., Page], client_user: User) -> Page:
    """A client signed in on a phone, in a practice that signs people out after 5 minutes."""
    PracticeSettings.load()
    PracticeSettings.objects.update(idle_timeout_minutes=5)
    page = open_page("phone", fake_clock=True)
    _sign_in_client(page, client_user)
    return page


def test_idle_client_is_warned_and_can_stay_signed_in(
    idle_page: Page, server_activity: ServerActivity
) -> None:
    page = idle_page
    _leave_session_with(page, server_activity, seconds_left=65)

    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_visible(timeout=10_000)
    assert dialog.evaluate("element => element.tagName === 'DIALOG' && element.open")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    assert_accessible(page, context="the idle warning, open")

    stay.click()

    expect(dialog).to_be_hidden()
    status = page.request.get("/session/status/").json()
    assert status["authenticated"] is True
    assert status["seconds_left"] > 4 * 60
    expect(_client_home_heading(page)).to_be_visible()


def test_idle_client_is_signed_out_when_the_countdown_ends(
    idle_page: Page,
    open_page: Callable[..., Page],
    portal_url: str,
    server_activity: ServerActivity,
) -> None:
    page = idle_page
    session_key = _session_key(page)
    _leave_session_with(page, server_activity, seconds_left=3)

    expect(page.get_by_role("dialog", name="Are you still there?")).to_be_visible()
    expect(page).to_have_url(SIGN_IN_URL, timeout=10_000)
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_text("You were signed out after a period of inactivity")).to_be_visible()
    assert_accessible(page, context="the sign-in page after an idle sign-out")

    # The old session cookie is worthless now, in any browser.
    other = open_page("phone")
    other.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session_key, "url": portal_url}]
    )
    other.goto("/me/")
    expect(other).to_have_url(re.compile(r"/accounts/login/\?next=/me/$"))
    assert server_activity.wait_until_quiet()
    assert not Session.objects.filter(session_key=session_key).exists()
