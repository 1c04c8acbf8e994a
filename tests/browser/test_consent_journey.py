"""Consents as a client meets them on a phone: sent to the consents before the intake,
signing the three it needs, reaching the intake, then withdrawing one, signing again and
downloading a PDF copy of what they signed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from consents.defaults import install_default_documents
from consents.models import ConsentDocument, ConsentSignature, ConsentVersion
from consents.services import AGREEMENT_STATEMENT
from portal.models import User
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import ServerActivity, field, sign_in
from tests.factories import fill_practice_settings
from tests.helpers import pdf_page_texts

pytestmark = pytest.mark.browser

BEFORE_INTAKE = ("electronic_signatures", "treatment", "privacy_notice")
def _sign(page: Page, title: str, *, link: str = "Read and sign") -> None:
    page.get_by_role("link", name=f"{link} {title}").click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    assert_accessible(page, context=f"the sign page of {title}")
    field(page, "Your full name").fill("Robin Example")
    page.get_by_label(AGREEMENT_STATEMENT).check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", name="What you signed")).to_be_visible()
    expect(page.get_by_text("Your signature is saved")).to_be_visible()
    assert_accessible(page, context=f"what the client signed of {title}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("link", name="Back to my consents").click()


def test_a_client_signs_what_the_intake_needs_then_withdraws_and_signs_again(
    phone_page: Page, client_user: User, server_activity: ServerActivity
) -> None:
    fill_practice_settings()
    install_default_documents(publish=True)
    titles = {d.kind: d.title for d in ConsentDocument.objects.all()}
    treatment_hash = ConsentVersion.objects.get(document__kind="treatment").sha256
    page = phone_page
    sign_in(page, client_user)

    expect(page.get_by_role("heading", name="Please read and sign")).to_be_visible()
    assert_accessible(page, context="the client's home, consents to sign")
    page.get_by_role("link", name="Your intake").click()
    expect(page.get_by_role("heading", name="My consents")).to_be_visible()
    expect(page.get_by_text("Before your intake, please read and sign")).to_be_visible()
    assert_accessible(page, context="my consents, before the intake")

    for kind in BEFORE_INTAKE:
        _sign(page, titles[kind])
        expect(page.locator(f"#consent-{kind}")).to_contain_text("Signed on")
    assert_accessible(page, context="my consents, all signed")

    page.get_by_role("link", name="Back to your home page").click()
    page.get_by_role("link", name="Your intake").click()
    expect(page.get_by_role("heading", name="Getting to know you")).to_be_visible()
    assert_accessible(page, context="the intake's start page, consents signed")
    page.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(r"/intake/[0-9a-f-]+/section/about_you/$"))

    # Withdrawing: the link, then a confirmation that says what it means.
    page.goto("/consents/")
    page.get_by_role("link", name=f"Withdraw your consent to {titles['treatment']}").click()
    expect(page.get_by_role("heading", name="Withdraw your consent?")).to_be_visible()
    expect(page.get_by_text("won't be able to start or carry on with your intake")).to_be_visible()
    assert_accessible(page, context="the withdrawal confirmation")
    page.get_by_role("button", name="Confirm: withdraw my consent").click()
    treatment = page.locator("#consent-treatment")
    expect(treatment).to_contain_text("You withdrew this on")
    assert_accessible(page, context="my consents, one withdrawn")

    # The intake waits again, then opens once the client has signed again.
    page.goto("/intake/")
    expect(page.get_by_role("heading", name="My consents")).to_be_visible()
    _sign(page, titles["treatment"], link="Sign again")
    expect(treatment).to_contain_text("Signed on")
    page.goto("/intake/")
    expect(page.get_by_role("heading", name="Getting to know you")).to_be_visible()

    # A copy of what they signed, as a PDF that carries the text's fingerprint.
    page.goto("/consents/")
    page.get_by_role("link", name=f"What you signed for {titles['treatment']}").click()
    expect(page.get_by_role("heading", name="What you signed")).to_be_visible()
    expect(page.get_by_text(treatment_hash, exact=True)).to_be_visible()
    assert_accessible(page, context="what the client signed, from my consents")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download a copy (PDF)", exact=True).click()
    assert re.fullmatch(r"consent-[0-9A-F]{16}\.pdf", download.value.suggested_filename)
    with open(download.value.path(), "rb") as copy:
        pdf = copy.read()
    assert pdf.startswith(b"%PDF")
    texts = pdf_page_texts(pdf)
    assert any(treatment_hash in text for text in texts), texts
    assert any(titles["treatment"] in text for text in texts), texts

    assert server_activity.wait_until_quiet()
    signatures = ConsentSignature.objects.filter(client=client_user)
    assert signatures.count() == 4
    assert signatures.filter(withdrawn_at__isnull=False).count() == 1
    active = signatures.get(version__document__kind="treatment", withdrawn_at__isnull=True)
    assert download.value.suggested_filename == f"consent-{active.reference}.pdf"
    assert any(active.reference in text for text in texts)
