"""Autosave held back by the server's limit (429): the page says calmly that nothing is lost,
keeps what was typed, and saves it by itself once the pause is over."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from intake.models import Intake
from intake.views.client import AUTOSAVE_PAUSED_MESSAGE
from portal import rate_limits
from portal.models import User
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import ServerActivity, sign_in

pytestmark = pytest.mark.browser

# A moment that starts a limit window, so the server's answer is known: 45 s to wait.
WINDOW_START = 1_800_000_000.0


def test_a_held_back_autosave_keeps_what_was_typed_and_saves_it_after_the_pause(
    open_page: Callable[..., Page],
    client_user: User,
    server_activity: ServerActivity,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The live server runs in this process: its limit clock stands still at 15 s into a
    # window, and one save a window is allowed, so the page's second save is refused.
    server_clock = {"now": WINDOW_START + 15}
    monkeypatch.setattr(rate_limits, "_now", lambda: server_clock["now"])
    monkeypatch.setitem(rate_limits.PORTAL_LIMITS, "intake_autosave",
                        rate_limits.Limit("1/m/user", rate_limits.Counting.FIXED_WINDOW))

    page = open_page("phone", fake_clock=True)
    sign_in(page, client_user)
    page.get_by_role("link", name="Your intake").click()
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(r"/intake/[0-9a-f-]+/section/about_you/$"))
    page.wait_for_load_state("load")  # autosave.js listens only once it has run
    status = page.locator("#autosave-status")
    name = page.get_by_role("textbox", name=re.compile(r"^Your full legal name"))

    name.fill("Robin")
    page.clock.run_for(3_000)  # the page saves 2.5 s after typing stops
    expect(status).to_contain_text(re.compile(r"Saved at \d\d:\d\d"))

    name.fill("Robin Example")
    page.clock.run_for(3_000)
    expect(status).to_have_text(AUTOSAVE_PAUSED_MESSAGE)
    expect(status).not_to_have_class(re.compile(r"is-problem"))  # calm, not an error
    expect(name).to_have_value("Robin Example")
    assert_accessible(page, context="intake page 1, autosave paused")

    # Typing on during the pause is kept too, and nothing is sent before the pause ends.
    name.fill("Robin Example-Smith")
    page.clock.run_for(3_000)
    expect(status).to_have_text(AUTOSAVE_PAUSED_MESSAGE)

    server_clock["now"] += 45  # the server's minute is over...
    page.clock.fast_forward(46_000)  # ...and so is the page's pause
    expect(status).to_contain_text(re.compile(r"Saved at \d\d:\d\d"))
    assert server_activity.wait_until_quiet()
    saved = Intake.objects.get(client=client_user)
    assert saved.answers["legal_name"] == "Robin Example-Smith"
