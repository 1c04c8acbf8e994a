"""Consents as a client meets them on a phone: sent to the consents before the intake,
signing the three it needs, reaching the intake, then withdrawing one and signing again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from consents.defaults import install_default_documents
from consents.models import ConsentDocument, ConsentSignature
from consents.services import AGREEMENT_STATEMENT
from portal.models import User
from tests.browser.conftest import ServerActivity, field, sign_in

pytestmark = pytest.mark.browser

BEFORE_INTAKE = ("electronic_signatures", "treatment", "privacy_notice")


def _sign(page: Page, title: str, *, link: str = "Read and sign") -> None:
    page.get_by_role("link", name=f"{link} {title}").click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    field(page, "Your full name").fill("Robin Example")
    page.get_by_label(AGREEMENT_STATEMENT).check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", name="What you signed")).to_be_visible()
    expect(page.get_by_text("Your signature is saved")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("link", name="Back to my consents").click()


def test_a_client_signs_what_the_intake_needs_then_withdraws_and_signs_again(
    phone_page: Page, client_user: User, server_activity: ServerActivity
) -> None:
    install_default_documents(publish=True)
    titles = {d.kind: d.title for d in ConsentDocument.objects.all()}
    page = phone_page
    sign_in(page, client_user)

    expect(page.get_by_role("heading", name="Please read and sign")).to_be_visible()
    page.get_by_role("link", name="Your intake").click()
    expect(page.get_by_role("heading", name="My consents")).to_be_visible()
    expect(page.get_by_text("Before your intake, please read and sign")).to_be_visible()

    for kind in BEFORE_INTAKE:
        _sign(page, titles[kind])
        expect(page.locator(f"#consent-{kind}")).to_contain_text("Signed on")

    page.get_by_role("link", name="Back to your home page").click()
    page.get_by_role("link", name="Your intake").click()
    expect(page.get_by_role("heading", name="Getting to know you")).to_be_visible()
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(r"/intake/[0-9a-f-]+/section/about_you/$"))

    # Withdrawing: the link, then a confirmation that says what it means.
    page.goto("/consents/")
    page.get_by_role("link", name=f"Withdraw your consent to {titles['treatment']}").click()
    expect(page.get_by_role("heading", name="Withdraw your consent?")).to_be_visible()
    expect(page.get_by_text("won't be able to start or carry on with your intake")).to_be_visible()
    page.get_by_role("button", name="Confirm: withdraw my consent").click()
    treatment = page.locator("#consent-treatment")
    expect(treatment).to_contain_text("You withdrew this on")

    # The intake waits again, then opens once the client has signed again.
    page.goto("/intake/")
    expect(page.get_by_role("heading", name="My consents")).to_be_visible()
    _sign(page, titles["treatment"], link="Sign again")
    expect(treatment).to_contain_text("Signed on")
    page.goto("/intake/")
    expect(page.get_by_role("heading", name="Getting to know you")).to_be_visible()

    assert server_activity.wait_until_quiet()
    signatures = ConsentSignature.objects.filter(client=client_user)
    assert signatures.count() == 4
    assert signatures.filter(withdrawn_at__isnull=False).count() == 1
