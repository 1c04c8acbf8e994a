"""Consents as the practice admin keeps them, at a desk: reading who has signed the treatment
consent, writing a new version with a material change, checking its changes and publishing
it, then seeing everyone who had signed asked to sign again and sending them reminders."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.mail import EmailMessage
from django.utils import timezone
from playwright.sync_api import Locator, Page, ViewportSize, expect

from consents.defaults import install_default_documents
from consents.models import ConsentDocument, ConsentVersion, VersionStatus
from consents.services import consent_sign
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.formatting import format_day
from portal.models import ClientProfile, PracticeSettings, User
from portal.roles import Role
from tests.browser.accessibility import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import ServerActivity, field, sign_in
from tests.factories import PASSWORD, UserFactory, fill_practice_settings
from tests.helpers import delivered_mail

pytestmark = pytest.mark.browser

# Who signed version 1 of the treatment consent, and who never did.
SIGNED_V1 = {"ada.quinlan@example.com": "Ada Quinlan",
             "bo.marsh@example.com": "Bo Marsh",
             "cy.okonjo@example.com": "Cy Okonjo"}
NEVER_SIGNED = {"dee.farrow@example.com": "Dee Farrow",
                "eli.santos@example.com": "Eli Santos"}
ACTIVE = SIGNED_V1 | NEVER_SIGNED
COLUMNS = ["Document", "When needed", "Signed", "Outstanding", "Withdrawn", "Expired",
           "Version"]
OLD_SENTENCE = "Sessions usually last about 50 minutes."
NEW_SENTENCE = "Sessions usually last about 50 minutes, by video or in the room."


def _client(email: str, name: str) -> User:
    client = UserFactory(role=Role.CLIENT, email=email)
    ClientProfile.objects.create(user=client, legal_name=name)
    return client


def _populate(treatment: ConsentVersion) -> User:
    """Five active clients, three of whom signed the treatment consent; and a former client
    who signed it too, whose account is no longer active (counted nowhere, never reminded).
    Returns the former client."""
    for email, name in ACTIVE.items():
        client = _client(email, name)
        if email in SIGNED_V1:
            consent_sign(client=client, version_id=treatment.pk,
                         expected_sha256=treatment.sha256, typed_name=name, agreed=True)
    former = _client("former.client@example.com", "Fay Former")
    consent_sign(client=former, version_id=treatment.pk, expected_sha256=treatment.sha256,
                 typed_name="Fay Former", agreed=True)
    former.is_active = False
    former.save(update_fields=["is_active"])
    return former


def _document_row(page: Page, title: str) -> Locator:
    return page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=title, exact=True))


def _expect_counts(page: Page, title: str, *, signed: int, outstanding: int,
                   withdrawn: int, of: int) -> None:
    """The dashboard's counts for one document, in words, under their column headers."""
    # The first table: the documents every client signs (the couples-and-families ones
    # have a table of their own below, with the same columns).
    headers = page.get_by_role("table").first.get_by_role("columnheader")
    expect(headers).to_have_text(COLUMNS)
    cells = _document_row(page, title).get_by_role("cell")
    for column, value in (("Signed", signed), ("Outstanding", outstanding),
                          ("Withdrawn", withdrawn)):
        # The row header takes the first column, so cells count from the second.
        expect(cells.nth(COLUMNS.index(column) - 1)).to_contain_text(f"{value} of {of}")


def _show_clients(page: Page, *, document: str, state: str) -> None:
    page.get_by_label("Document", exact=True).select_option(label=document)
    page.get_by_label("State", exact=True).select_option(label=state)
    page.get_by_role("button", name="Show clients").click()


def _client_row(page: Page, email: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=email, exact=True))


def test_an_admin_publishes_a_material_change_and_reminds_everyone_who_must_sign_again(
    desktop_page: Page, admin_user: User, mailoutbox: list[EmailMessage],
    server_activity: ServerActivity,
) -> None:
    fill_practice_settings()
    install_default_documents(publish=True)
    PracticeSettings.objects.update_or_create(pk=1, defaults={"name": "Harbour Practice"})
    document = ConsentDocument.objects.get(kind="treatment")
    title = document.title
    first = ConsentVersion.objects.get(document=document, number=1)
    former = _populate(first)
    effective = timezone.localdate() + timedelta(days=14)
    page = desktop_page

    sign_in(page, admin_user)
    expect(page.get_by_role("heading", name="Staff home")).to_be_visible()
    page.get_by_role("link", name="Go to consents").click()
    expect(page.get_by_role("heading", name="Consents", level=1)).to_be_visible()
    expect(page.get_by_text("Where the practice's 5 active client accounts stand")).to_be_visible()
    _expect_counts(page, title, signed=3, outstanding=2, withdrawn=0, of=5)
    assert_accessible(page, context="the consent dashboard")

    # A new version, starting from the current wording.
    page.get_by_role("link", name=f"New version of {title} in English").click()
    expect(page.get_by_role("heading", name=re.compile(r"^New version"))).to_be_visible()
    summary = page.get_by_role("textbox", name=re.compile(r"^Summary \(what the client reads"))
    body = page.get_by_role("textbox", name=re.compile(r"^Full text"))
    expect(body).to_have_value(re.compile(re.escape(OLD_SENTENCE)))
    assert_accessible(page, context="the new version form")
    summary.fill(summary.input_value() + " Sessions can be by video.")
    body.fill(body.input_value().replace(OLD_SENTENCE, NEW_SENTENCE))
    page.get_by_label("Effective date").fill(effective.isoformat())
    page.get_by_role("textbox", name=re.compile(r"^What changed")).fill("Video sessions.")
    page.get_by_role("checkbox", name=re.compile(r"^This is a material change")).check()
    page.get_by_role("button", name="Save draft").click()

    # The preview: as the client will read it, and the changes against version 1.
    expect(page.get_by_text("Draft saved. Check the preview before publishing.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Draft, not yet published"))
           ).to_be_visible()
    expect(page.get_by_text("Yes: clients who signed an earlier version must sign again")
           ).to_be_visible()
    expect(page.get_by_text(format_day(effective))).to_be_visible()
    expect(page.get_by_role("heading", name="Changes since version 1")).to_be_visible()
    changes = page.get_by_label(re.compile(r"^Changes, line by line"))
    (old_line,) = (line for line in first.body.splitlines() if OLD_SENTENCE in line)
    expect(changes).to_contain_text(f"Removed: -{old_line}")
    expect(changes).to_contain_text(f"Added: +{old_line.replace(OLD_SENTENCE, NEW_SENTENCE)}")
    expect(changes).to_contain_text("Added: +You agree to start therapy with us.")
    assert_accessible(page, context="the draft's preview and changes")

    # Publishing cannot be undone: the password first, then a confirmation.
    page.get_by_role("link", name="Publish…").click()
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    assert_accessible(page, context="the password check before publishing")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"^\s*confirm\s*$", re.IGNORECASE)).click()
    expect(page.get_by_role("heading", name="Publish this draft?")).to_be_visible()
    expect(page.get_by_text(f"{title} will become version 2.")).to_be_visible()
    expect(page.get_by_text("It is in English and replaces version 1 for the clients who read "
                            "English.")).to_be_visible()
    expect(page.get_by_text("every client who signed an earlier version in English will be asked "
                            "to sign again")).to_be_visible()
    assert_accessible(page, context="the publish confirmation")
    page.get_by_role("button", name="Publish", exact=True).click()

    # Everyone who had signed must sign again; nobody has signed version 2.
    expect(page.get_by_text(f"{title}: version 2 (English) is published.")).to_be_visible()
    expect(page.get_by_role("heading", name="Consents", level=1)).to_be_visible()
    expect(_document_row(page, title)).to_contain_text("Version 2")
    _expect_counts(page, title, signed=0, outstanding=5, withdrawn=0, of=5)
    assert_accessible(page, context="the consent dashboard after publishing")

    # The outstanding list, narrowed to the treatment consent and each state in turn.
    page.get_by_role("link", name="Clients with documents to sign").click()
    expect(page.get_by_role("heading", name="Clients with documents to sign")).to_be_visible()
    assert_accessible(page, context="the outstanding list")
    _show_clients(page, document=title, state="Must sign again (material change)")
    expect(page.get_by_role("table", name=re.compile(r"\b3 in total\b"))).to_be_visible()
    for email in SIGNED_V1:
        expect(_client_row(page, email)).to_contain_text(
            f"{title}: Must sign again (material change)")
    assert_accessible(page, context="the outstanding list, filtered")
    _show_clients(page, document=title, state="Never signed")
    expect(page.get_by_role("table", name=re.compile(r"\b2 in total\b"))).to_be_visible()
    for email in NEVER_SIGNED:
        expect(_client_row(page, email)).to_contain_text(f"{title}: Never signed")
    _show_clients(page, document=title, state="Never signed or must sign again")
    expect(page.get_by_role("table", name=re.compile(r"\b5 in total\b"))).to_be_visible()
    expect(page.get_by_role("link", name=former.email)).to_have_count(0)

    # Choose every client listed, and remind them in one go.
    choices = page.get_by_role("checkbox", name=re.compile(r"^Remind "))
    expect(choices).to_have_count(5)
    for email in ACTIVE:
        page.get_by_role("checkbox", name=f"Remind {email}", exact=True).check()
    page.get_by_role("button", name="Send reminder to the chosen clients").click()
    expect(page.get_by_text("Reminder sent to 5 clients.", exact=True)).to_be_visible()
    assert_accessible(page, context="the outstanding list after reminding")
    # Back on the same filtered list.
    expect(page.get_by_label("Document", exact=True)).to_have_value(str(document.pk))
    expect(page.get_by_role("table", name=re.compile(r"\b5 in total\b"))).to_be_visible()

    assert server_activity.wait_until_quiet()
    second = ConsentVersion.objects.get(document=document, number=2)
    assert (second.status, second.material_change, second.published_by_id) == (
        VersionStatus.PUBLISHED, True, admin_user.pk)
    assert NEW_SENTENCE in second.body
    assert ConsentVersion.objects.filter(document=document, status=VersionStatus.DRAFT
                                         ).count() == 0
    # One reminder to each client who must sign, none to the inactive account; a reminder
    # names no document and no person (an email is read on shared screens).
    assert sorted(message.to[0] for message in delivered_mail()) == sorted(ACTIVE)
    assert all(len(message.to) == 1 for message in delivered_mail())
    titles = list(ConsentDocument.objects.values_list("title", flat=True))
    for message in mailoutbox:
        text = f"{message.subject}\n{message.body}".lower()
        for words in [*titles, *ACTIVE.values(), "Fay Former"]:
            assert words.lower() not in text, (words, message.to)
        assert "Harbour Practice" in message.body
    reminded = AuditEvent.objects.filter(action=Action.CONSENT_REMINDED)
    assert sorted(str(event.subject_id) for event in reminded) == sorted(
        str(pk) for pk in User.objects.filter(email__in=ACTIVE).values_list("pk", flat=True))
    assert {event.actor_id for event in reminded} == {admin_user.pk}


LAPTOP: ViewportSize = {"width": 1280, "height": 800}


def test_the_consent_dashboard_shows_every_document_on_one_laptop_screen(
    desktop_page: Page, admin_user: User,
) -> None:
    """Seven documents, each one compact row of a real table: an admin sees at a glance
    where everyone stands, without scrolling, and optional documents nobody signed are
    shown as such, not as something to chase."""
    fill_practice_settings()
    install_default_documents(publish=True)
    versions = {version.document.kind: version for version in ConsentVersion.objects.filter(
        status=VersionStatus.PUBLISHED).select_related("document")}
    for email, name in ACTIVE.items():
        client = _client(email, name)
        if email in SIGNED_V1:
            for kind in ("electronic_signatures", "treatment", "communication"):
                consent_sign(client=client, version_id=versions[kind].pk,
                             expected_sha256=versions[kind].sha256, typed_name=name,
                             agreed=True)
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    sign_in(page, admin_user)
    page.get_by_role("link", name="Go to consents").click()
    table = page.get_by_role("table", name=re.compile(r"^Where the practice's 5 active"))
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader")).to_have_text(COLUMNS)
    rows = table.locator("tbody").get_by_role("row")
    expect(rows).to_have_count(7)

    # All seven rows fit in the laptop's viewport, without scrolling either way. Boxes are
    # measured once the stylesheets apply (the load event): a table laid out unstyled is wider
    # and taller than the one a person sees.
    page.wait_for_load_state("load")
    assert page.evaluate("window.scrollY") == 0
    for index in range(7):
        box = rows.nth(index).bounding_box()
        assert box is not None and box["y"] + box["height"] <= LAPTOP["height"], (
            f"row {index + 1} ends at {box and box['y'] + box['height']:.0f}px")
    assert_no_horizontal_scroll(page, context="the consent dashboard on a laptop")

    # Required: who still has to sign. Optional: not signed, and nothing to chase.
    treatment = ConsentDocument.objects.get(kind="treatment").title
    cells = _document_row(page, treatment).get_by_role("cell")
    expect(cells.nth(COLUMNS.index("Signed") - 1)).to_have_text("3 of 5")
    expect(cells.nth(COLUMNS.index("Outstanding") - 1)).to_have_text(
        re.compile(r"^\s*2 of 5 to sign:"))
    for kind, signed in (("communication", 3), ("release_authorization", 0)):
        title = ConsentDocument.objects.get(kind=kind).title
        cells = _document_row(page, title).get_by_role("cell")
        expect(cells.nth(COLUMNS.index("Signed") - 1)).to_have_text(f"{signed} of 5")
        expect(cells.nth(COLUMNS.index("Outstanding") - 1)).to_have_text(
            f"{5 - signed} of 5 not signed (optional)")
        expect(cells.nth(COLUMNS.index("Outstanding") - 1).get_by_role("link")
               ).to_have_count(0)
    # The bars are for the eye only: the numbers are the words above.
    expect(table.get_by_role("progressbar")).to_have_count(0)
    assert_accessible(page, context="the consent dashboard on a laptop")
