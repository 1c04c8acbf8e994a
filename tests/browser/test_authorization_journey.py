"""An authorization to release information as a client fills it in on a phone: a missing
recipient and end is explained beside each field with nothing typed lost, the signed
authorization appears in "My consents" with who it is for, and revoking it takes two clicks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from consents.defaults import install_default_documents
from consents.models import ConsentSignature, ReleaseAuthorization
from consents.services import AGREEMENT_STATEMENT
from portal.models import User
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import ServerActivity, field, sign_in
from tests.factories import fill_practice_settings

pytestmark = pytest.mark.browser

RECIPIENT = "Dr Avery Stone, Lakeside Family Practice"
INFORMATION = "Dates of my sessions and a summary of my treatment plan"


def test_a_client_authorizes_a_release_fixes_what_was_missing_and_later_revokes_it(
    phone_page: Page, client_user: User, server_activity: ServerActivity
) -> None:
    fill_practice_settings()
    install_default_documents(publish=True)
    page = phone_page
    sign_in(page, client_user)
    page.goto("/consents/")
    page.get_by_role("link", name="Give a new authorization to release information").click()
    expect(page.get_by_role("heading", name="Authorization to release information",
                            level=1)).to_be_visible()
    expect(page.get_by_text("The practice will not condition your treatment")).to_be_visible()
    assert_accessible(page, context="the authorization form")

    field(page, "What information may be shared").fill(INFORMATION)
    field(page, "Why it is being shared").fill("At my request")
    field(page, "Your full name").fill("Robin Example")
    page.get_by_label(AGREEMENT_STATEMENT).check()
    page.get_by_role("button", name="Sign the authorization").click()

    # Refused: each missing element is named beside its field; what was typed is kept.
    recipient = field(page, "Who may receive it")
    expect(recipient).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Please name the person or organization who may receive it.")
           .first).to_be_visible()
    expect(page.get_by_text("Please give a date or an event when this authorization ends")
           .first).to_be_visible()
    expect(field(page, "What information may be shared")).to_have_value(INFORMATION)
    assert_accessible(page, context="the authorization form, refused")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    recipient.fill(RECIPIENT)
    field(page, "Or the event that ends it").fill("when my treatment ends")
    page.get_by_label(AGREEMENT_STATEMENT).check()
    page.get_by_role("button", name="Sign the authorization").click()
    expect(page.get_by_role("heading", name="What you signed")).to_be_visible()
    expect(page.get_by_text(RECIPIENT)).to_be_visible()
    assert_accessible(page, context="the signed authorization")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download a copy (PDF)").click()
    with open(download_info.value.path(), "rb") as copy:
        assert copy.read(5) == b"%PDF-"

    page.get_by_role("link", name="Back to my consents").click()
    item = page.locator(".authorization-item")
    expect(item).to_contain_text(RECIPIENT)
    expect(item).to_contain_text("In force")
    assert_accessible(page, context="my consents, with an authorization")

    item.get_by_role("link", name="Revoke").click()
    expect(page.get_by_role("heading", name="Revoke this authorization?")).to_be_visible()
    assert_accessible(page, context="the revocation confirmation")
    page.get_by_role("button", name="Confirm: revoke this authorization").click()
    expect(page.get_by_text("You have revoked this authorization.")).to_be_visible()
    expect(item).to_contain_text("You revoked this on")
    assert_accessible(page, context="my consents, authorization revoked")

    assert server_activity.wait_until_quiet()
    signature = ConsentSignature.objects.get(client=client_user)
    assert signature.withdrawn_at is not None
    assert ReleaseAuthorization.objects.get(signature=signature).recipient == RECIPIENT
