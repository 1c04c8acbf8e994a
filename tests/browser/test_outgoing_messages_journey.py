"""A practice admin finds an email the worker gave up on under "Outgoing messages" and
sends it again: the page passes the accessibility checks before and after, and shows no
address."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.models import MessageStatus, OutgoingMessage, User
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import sign_in
from tests.helpers import given_up_message

pytestmark = pytest.mark.browser


def test_an_admin_retries_a_given_up_email_from_the_menu(
    desktop_page: Page, admin_user: User, client_user: User,
) -> None:
    gave_up = given_up_message(client_user)
    page = desktop_page
    sign_in(page, admin_user)
    page.get_by_role("link", name="Outgoing messages").click()
    expect(page.get_by_role("heading", name="Outgoing messages", level=1)).to_be_visible()
    given_up = page.get_by_role("region", name="Given up")
    expect(given_up).to_contain_text("Consent reminder")
    expect(given_up).to_contain_text("builtins.ConnectionRefusedError")
    expect(page.locator("main")).not_to_contain_text(client_user.email)
    assert_accessible(page, context="the outgoing messages page, an email given up")

    given_up.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("The email is back in the queue.")).to_be_visible()
    expect(page.get_by_text("No email has been given up.")).to_be_visible()
    assert_accessible(page, context="the outgoing messages page, after a retry")
    assert OutgoingMessage.objects.get(pk=gave_up.pk).status == MessageStatus.PENDING
