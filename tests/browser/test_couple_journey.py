"""A couple is taken in: the admin makes the case and invites both partners; each signs
the practice's secrets policy and fills in their own intake on a phone; partner A opens
everything she can reach and never meets B's private words; the clinician reads both side
by side; erasing A leaves B's intake whole."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clients.services import client_erase
from consents.defaults import install_default_documents
from consents.models import ConsentDocument, DocumentKind
from consents.services import AGREEMENT_STATEMENT, version_publish
from intake.models import Intake
from portal.models import Case, User
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import ServerActivity, field, sign_in
from tests.factories import fill_practice_settings
from tests.helpers import delivered_mail, mail_body, pdf_page_texts
from tests.intake_data import PRIVATE_CANARY, SHARED_CANARY, couple_answers_by_section

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/invitations/[^/\s]+/")
NEW_PASSWORD = "a long and unusual passphrase 7"
# Ben's private words, and what he shares: A must never meet the first, and reads the second.
BEN_PRIVATE = "canary-ben-private-2f7a-never-for-ana"
BEN_SHARED = "canary-ben-shared-81c3-for-us-both"


def _publish_the_secrets_policy() -> None:
    """Only the no-secrets policy (the practice's default) is published: the partners sign
    it before their intakes."""
    fill_practice_settings()
    install_default_documents(publish=False)
    document = ConsentDocument.objects.get(kind=DocumentKind.SECRETS_NO_SECRETS)
    version_publish(version=document.versions.get(), actor=None)


def _answers(private: str, shared: str) -> dict[str, dict[str, str]]:
    pages = couple_answers_by_section()
    pages["private_things"]["not_told_partner"] = f"Something from before. {private}"
    pages["what_brings_us"]["in_your_own_words"] = f"We argue about chores. {shared}"
    return pages


def _answer(page: Page, name: str, value: str) -> None:
    inputs = page.locator(f"[name='{name}']")
    kind = inputs.first.get_attribute("type")
    if kind in ("radio", "checkbox"):
        page.locator(f"[name='{name}'][value='{value}']").check()
    elif inputs.first.evaluate("element => element.tagName") == "SELECT":
        inputs.first.select_option(value)
    else:
        inputs.first.fill(value)


def _join_and_fill_in(open_page: Callable[..., Page], link: str, email: str,
                      pages: dict[str, dict[str, str]]) -> Page:
    """The partner's phone: create the account, sign the secrets policy, fill in every page
    of their own intake and send it."""
    phone = open_page("phone")
    phone.goto(link)
    expect(field(phone, "Email")).to_have_value(email)
    field(phone, "Password").fill(NEW_PASSWORD)
    field(phone, "Password (again)").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Create account").click()
    expect(phone.get_by_role("heading", name="Seen as a couple")).to_be_visible()
    assert_accessible(phone, context="a partner's home")
    phone.get_by_role("link", name="Start this intake").click()
    # The secrets policy comes first.
    phone.get_by_role("link", name=re.compile("No-secrets policy")).first.click()
    expect(phone.get_by_role("heading", name=re.compile("No-secrets policy"),
                             level=1)).to_be_visible()
    assert_accessible(phone, context="the secrets policy's sign page")
    field(phone, "Your full name").fill("Robin Example")
    phone.get_by_label(AGREEMENT_STATEMENT).check()
    phone.get_by_role("button", name="Sign", exact=True).click()
    expect(phone.get_by_text("Your signature is saved")).to_be_visible()
    phone.goto("/me/")
    phone.get_by_role("link", name="Start this intake").click()
    assert_accessible(phone, context="the couple intake's start page")
    phone.get_by_role("button", name="Start").click()
    for section, posted in pages.items():
        expect(phone).to_have_url(re.compile(rf"/section/{section}/$"))
        for name, value in posted.items():
            _answer(phone, name, value)
        if section == "what_brings_us":
            expect(phone.get_by_text("Your partner will see these answers.").first
                   ).to_be_visible()
            assert_accessible(phone, context="a shared page of the couple intake")
        if section == "private_things":
            expect(phone.get_by_text(re.compile("Your partner will not")).first
                   ).to_be_visible()
        phone.get_by_role("button", name=re.compile(r"^Next")).click()
    expect(phone.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(phone.get_by_text(re.compile(r"will be shared with your partner")).first
           ).to_be_visible()
    assert_accessible(phone, context="the couple intake's review page")
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="What you sent")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return phone


def _everything_ana_reaches(phone: Page) -> list[tuple[str, str]]:
    """Every page, copy and export partner A can reach from her home, as text."""
    seen: list[tuple[str, str]] = []
    phone.goto("/me/")
    links = set(phone.eval_on_selector_all(
        "main a[href^='/']", "links => links.map(link => link.getAttribute('href'))"))
    pending, visited = sorted(links), set()
    while pending:
        href = pending.pop()
        # Account settings hold nothing anyone told us; the rest is searched.
        if href in visited or href.startswith(("/accounts/", "/quick-exit", "/session/")):
            continue
        visited.add(href)
        response = phone.request.get(href)
        body = response.body()
        content_type = response.headers.get("content-type", "")
        text = (" ".join(pdf_page_texts(body)) if "pdf" in content_type
                else body.decode("utf-8", "replace"))
        seen.append((href, text))
        if "html" in content_type:
            phone.goto(href)
            pending += [link for link in phone.eval_on_selector_all(
                "main a[href^='/']", "links => links.map(link => link.getAttribute('href'))")
                if link not in visited and len(visited) < 80]
    return seen


def test_a_couple_is_taken_in_and_neither_sees_the_others_private_words(
    open_page: Callable[..., Page], admin_user: User, clinician_user: User,
    server_activity: ServerActivity,
) -> None:
    _publish_the_secrets_policy()
    admin = open_page("desktop")
    sign_in(admin, admin_user)
    admin.get_by_role("link", name="Cases", exact=True).click()
    assert_accessible(admin, context="the cases page")
    admin.get_by_role("link", name="Create a case").click()
    admin.get_by_label("Couple").check()
    admin.get_by_role("button", name="Create the case").click()
    expect(admin.get_by_role("heading", name=re.compile("Couple case"))).to_be_visible()
    for email in ("ana@example.com", "ben@example.com"):
        field(admin, "Their own email address").fill(email)
        admin.get_by_role("button", name="Invite").click()
        expect(admin.get_by_text(f"Invited: {email}")).to_be_visible()
    admin.get_by_label("Add a clinician").select_option(label="Dr. Lee")
    admin.get_by_role("button", name="Add to the care team").click()
    assert_accessible(admin, context="a couple case's page")
    case = Case.objects.get()
    links = {message.to[0]: LINK.search(mail_body(message)).group(0)  # type: ignore[union-attr]
             for message in delivered_mail()}

    ana = _join_and_fill_in(open_page, links["ana@example.com"], "ana@example.com",
                            _answers(PRIVATE_CANARY, SHARED_CANARY))
    _join_and_fill_in(open_page, links["ben@example.com"], "ben@example.com",
                      _answers(BEN_PRIVATE, BEN_SHARED))
    assert server_activity.wait_until_quiet()

    # What Ben shared reaches Ana; nothing he kept private, anywhere she can go.
    ana.goto("/me/")
    ana.get_by_role("link", name="What others shared with you").click()
    expect(ana.get_by_text(BEN_SHARED)).to_be_visible()
    assert_accessible(ana, context="what a partner shared")
    seen = _everything_ana_reaches(ana)
    reached = {href for href, _ in seen}
    # Her pages, her copies (PDF and FHIR of her intake and of what she signed), the
    # shared answers, who opened her record: all searched.
    for wanted in (f"/intake/case/{case.pk}/shared/", "/copy.pdf",
                   "/questionnaire-response.json", "/consent.json", "/consents/",
                   "/me/record-access/"):
        assert any(wanted in href for href in reached), (wanted, sorted(reached))
    assert any(BEN_SHARED in text for _, text in seen)
    leaks = [href for href, text in seen if BEN_PRIVATE in text]
    assert not leaks, leaks

    # The clinician reads both side by side, private words marked private.
    clinician = open_page("desktop")
    sign_in(clinician, clinician_user)
    clinician.goto(f"/staff/cases/{case.pk}/")
    clinician.get_by_role("link", name="Read the case's intakes side by side").click()
    expect(clinician.get_by_text(BEN_PRIVATE)).to_be_visible()
    expect(clinician.get_by_text(PRIVATE_CANARY)).to_be_visible()
    expect(clinician.get_by_text("Private", exact=True).first).to_be_visible()
    assert_accessible(clinician, context="a couple's intakes side by side")

    # Erasing Ana shreds her words only.
    client_erase(user=User.objects.get(email="ana@example.com"), actor=admin_user)
    clinician.reload()
    expect(clinician.get_by_text("This person's record was erased.")).to_be_visible()
    expect(clinician.get_by_text(BEN_PRIVATE)).to_be_visible()
    bens: Any = Intake.objects.get(client__email="ben@example.com")
    assert BEN_PRIVATE in str(bens.answers)
