"""The questionnaire builder's proof (issue 20), end to end in a browser.

A client is half-way through the shipped individual intake. The practice admin, at a desk,
drafts the practice's own version: a short-text question with a Spanish wording, shown only
after an answer. The condition first points at a later question and the draft says so; it is
fixed, previewed on the phone frame (with and without the deciding answer, in English and in
Spanish) and published, after the password is asked again, for new individual intakes. The
client who was mid-draft finishes on the version they started, never meeting the question; a
new client starts on the practice's version and does meet it. Their clinician sees each
intake with the version it was answered on.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from intake.builder.assignments import version_for
from intake.models import Intake, IntakeKind, QuestionnaireVersion, VersionOrigin
from intake.services import intake_start
from portal.models import CareAssignment, User
from portal.roles import Role
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import ServerActivity, field, sign_in
from tests.factories import PASSWORD, UserFactory
from tests.intake_data import answers_by_section, save_page

pytestmark = pytest.mark.browser

TITLE = "Getting to know you"
NEW_ID = "previous_therapist"
NEW_LABEL = "Who was your therapist before?"
NEW_LABEL_ES = "¿Quién fue su terapeuta anterior?"
FEELINGS_ITEMS = [f"phq9_{n}" for n in range(1, 10)] + [f"gad7_{n}" for n in range(1, 8)]


def _on_page(page: Page, section: str) -> None:
    expect(page).to_have_url(re.compile(rf"/intake/[0-9a-f-]+/section/{section}/$"))


def _next(page: Page) -> None:
    page.get_by_role("button", name=re.compile(r"^Next")).click()


def _draft_heading(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft")


def _edit_condition(page: Page, choice: str) -> None:
    """Open the new question's form from the draft page and make it shown only on
    ``choice`` (a value of the condition list: ``question|=answer``)."""
    # The visually hidden part of the name reads as "Edit : label" in Chromium.
    page.get_by_role("link", name=re.compile(rf"^Edit\s*:\s*{re.escape(NEW_LABEL)}$")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit question")
    expect(page.locator("#id_label-es")).to_have_value(NEW_LABEL_ES)
    page.get_by_label("Show this question only when").select_option(choice)
    page.get_by_role("button", name="Save", exact=True).click()
    _draft_heading(page)
    expect(page.get_by_text("Question saved.")).to_be_visible()


def _preview(page: Page, *, language: str, earlier_therapy: str) -> Locator:
    """Show the draft's preview in ``language`` with "Have you had therapy or counselling
    before?" answered ``earlier_therapy`` ("" for no answer); the phone frame."""
    page.locator("#preview-language").select_option(language)
    page.locator("#id-a-earlier_therapy").select_option(earlier_therapy)
    page.get_by_role("button", name="Show the preview").click()
    expect(page).to_have_url(re.compile(rf"[?&]lang={language}\b"))
    expect(page.get_by_role("heading", name=f"Preview: {TITLE}", level=1)).to_be_visible()
    frame = page.locator("#preview-frame")
    expect(frame).to_have_attribute("lang", language)
    return frame


def _start_clients(clinician: User) -> tuple[User, Intake, User]:
    """A client mid-draft on the shipped questionnaire (four pages saved) and a client who
    has not started, both on ``clinician``'s care team."""
    mid = UserFactory(role=Role.CLIENT, email="mid.draft@example.com")
    newcomer = UserFactory(role=Role.CLIENT, email="new.client@example.com")
    for client in (mid, newcomer):
        CareAssignment.objects.create(client=client, clinician=clinician)
    intake = intake_start(client=mid)
    pages = answers_by_section(legal_name="Morgan Middle")
    for section in ("about_you", "what_brings_you", "feelings", "safety"):
        intake = save_page(intake, section, pages[section], mid)
    return mid, intake, newcomer


def test_an_admin_publishes_a_question_and_only_new_intakes_meet_it(
    open_page: Callable[..., Page], admin_user: User, clinician_user: User,
    server_activity: ServerActivity,
) -> None:
    shipped = version_for(IntakeKind.INDIVIDUAL)
    assert (shipped.slug, shipped.version, shipped.origin) == (
        "default-intake", "2", VersionOrigin.SHIPPED)
    mid, mid_intake, newcomer = _start_clients(clinician_user)
    assert mid_intake.questionnaire_id == shipped.pk

    # The admin drafts the practice's version from the staff home.
    admin = open_page("desktop")
    sign_in(admin, admin_user)
    expect(admin.get_by_role("heading", name="Staff home")).to_be_visible()
    admin.get_by_role("link", name="Go to questionnaires").click()
    expect(admin.get_by_role("heading", name="Questionnaires", level=1)).to_be_visible()
    admin.get_by_role("button", name=f"Start a draft of {TITLE}", exact=True).click()
    _draft_heading(admin)
    expect(admin.locator("#draft-ready")).to_be_visible()

    # A short-text question at the end of "Your relationships", in English and Spanish.
    admin.get_by_label("Where", exact=True).select_option("section:relationships")
    admin.get_by_label("Type of question").select_option("short_text")
    admin.locator("#id_question_new_id").fill(NEW_ID)
    admin.locator("#id_label-en").fill(NEW_LABEL)
    admin.locator("#id_label-es").fill(NEW_LABEL_ES)
    admin.get_by_role("button", name="Add the question").click()
    _draft_heading(admin)
    expect(admin.locator(f"#entry-{NEW_ID}")).to_contain_text(NEW_LABEL)

    # Shown only when messages may be left: a question that comes later. The draft says so.
    _edit_condition(admin, "leave_messages|=yes")
    problem = admin.locator("#draft-problem")
    expect(problem).to_contain_text("This draft can't be published yet:")
    expect(problem).to_contain_text(f"question “{NEW_LABEL}” ({NEW_ID})")
    expect(problem).to_contain_text("leave_messages")
    expect(problem).to_contain_text("not an earlier top-level question")
    expect(admin.locator("#draft-ready")).to_have_count(0)
    assert_accessible(admin, context="the draft page, with a problem")

    # Fixed: shown only after earlier therapy, asked just before it.
    _edit_condition(admin, "earlier_therapy|=yes")
    expect(admin.locator("#draft-problem")).to_have_count(0)
    expect(admin.locator("#draft-ready")).to_be_visible()
    expect(admin.locator(f"#entry-{NEW_ID}")).to_contain_text(
        "Shown only depending on the answer to “earlier_therapy”.")
    assert_accessible(admin, context="the draft page, ready")

    # The preview on the phone frame: the question appears only after "Yes".
    admin.get_by_role("link", name="Preview as a client sees it").click()
    expect(admin.get_by_role("heading", name=f"Preview: {TITLE}", level=1)).to_be_visible()
    frame = admin.locator("#preview-frame")
    expect(frame.get_by_role("heading", name="Your relationships")).to_be_visible()
    expect(frame.get_by_text(NEW_LABEL)).to_have_count(0)
    frame = _preview(admin, language="en", earlier_therapy="yes")
    expect(frame.get_by_text(NEW_LABEL)).to_be_visible()
    assert_accessible(admin, context="the draft's preview, the new question shown")
    frame = _preview(admin, language="en", earlier_therapy="no")
    expect(frame.get_by_role("heading", name="Your relationships")).to_be_visible()
    expect(frame.get_by_text(NEW_LABEL)).to_have_count(0)
    # In Spanish, the Spanish wording.
    frame = _preview(admin, language="es", earlier_therapy="yes")
    expect(frame.get_by_role("heading", name="Sus relaciones")).to_be_visible()
    expect(frame.get_by_text(NEW_LABEL_ES)).to_be_visible()
    expect(frame.get_by_text(NEW_LABEL)).to_have_count(0)
    assert_accessible(admin, context="the draft's preview in Spanish")

    # Publishing: the password again, then the confirmation with the kinds to use it for.
    admin.get_by_role("link", name="Publish", exact=True).click()
    expect(admin.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    field(admin, "Password").fill(PASSWORD)
    admin.get_by_role("button", name=re.compile(r"^\s*confirm\s*$", re.IGNORECASE)).click()
    expect(admin.get_by_role("heading", name=f"Publish “{TITLE}”?")).to_be_visible()
    expect(admin.get_by_text("It will become version 1.")).to_be_visible()
    assert_accessible(admin, context="the publish page")
    admin.get_by_role("checkbox", name="An adult client, individually").check()
    admin.get_by_role("button", name="Publish", exact=True).click()
    expect(admin.get_by_text(f"Version 1 of “{TITLE}” is published.")).to_be_visible()

    assert server_activity.wait_until_quiet()
    practice = QuestionnaireVersion.objects.get(slug="default-intake-practice")
    assert (practice.version, practice.origin, practice.published_by_id) == (
        "1", VersionOrigin.PRACTICE, admin_user.pk)
    assert version_for(IntakeKind.INDIVIDUAL) == practice
    assert practice.questionnaire_in("es").question(NEW_ID).label == NEW_LABEL_ES

    # The client mid-draft finishes on the shipped version: the question never appears.
    phone = open_page("phone")
    sign_in(phone, mid)
    phone.goto("/intake/")
    expect(phone.get_by_role("heading", name=TITLE)).to_be_visible()
    phone.get_by_role("button", name="Continue where you left off").click()
    _on_page(phone, "safety")
    _next(phone)
    _on_page(phone, "relationships")
    phone.locator("#q-earlier_therapy").get_by_label("Yes", exact=True).check()
    expect(phone.locator("#q-earlier_therapy_helped")).to_be_visible()
    expect(phone.locator(f"#q-{NEW_ID}")).to_have_count(0)
    expect(phone.get_by_text(NEW_LABEL)).to_have_count(0)
    _next(phone)
    _on_page(phone, "health")
    _next(phone)
    _on_page(phone, "practicalities")
    phone.locator("#q-leave_messages").get_by_label("No", exact=True).check()
    _next(phone)
    expect(phone.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(phone.get_by_text("Still to answer")).to_have_count(0)
    expect(phone.get_by_text(NEW_LABEL)).to_have_count(0)
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", name="What you sent")).to_be_visible()
    expect(phone.get_by_text(NEW_LABEL)).to_have_count(0)

    # A new client starts on the practice's version and meets the question after "Yes".
    fresh = open_page("phone")
    sign_in(fresh, newcomer)
    fresh.goto("/intake/")
    expect(fresh.get_by_role("heading", name=TITLE)).to_be_visible()
    fresh.get_by_role("button", name="Start").click()
    _on_page(fresh, "about_you")
    fresh.get_by_role("textbox", name=re.compile(r"^Your full legal name")).fill("Noor Newman")
    fresh.get_by_label(re.compile(r"^Your date of birth")).fill("1992-07-30")
    _next(fresh)
    _on_page(fresh, "what_brings_you")
    fresh.get_by_role("textbox", name=re.compile(r"^In your own words")).fill(
        "Starting over after a move.")
    _next(fresh)
    _on_page(fresh, "feelings")
    for item in FEELINGS_ITEMS:
        fresh.locator(f"#q-{item}").get_by_label("Not at all", exact=True).check()
    _next(fresh)
    _on_page(fresh, "safety")
    _next(fresh)
    _on_page(fresh, "relationships")
    new_question = fresh.locator(f"#q-{NEW_ID}")
    expect(new_question).to_be_hidden()
    fresh.locator("#q-earlier_therapy").get_by_label("Yes", exact=True).check()
    expect(new_question).to_be_visible()
    assert_accessible(fresh, context="the relationships page with the new question")
    fresh.locator("#q-earlier_therapy").get_by_label("No", exact=True).check()
    expect(new_question).to_be_hidden()
    fresh.locator("#q-earlier_therapy").get_by_label("Yes", exact=True).check()
    fresh.get_by_role("textbox", name=re.compile(rf"^{re.escape(NEW_LABEL)}")).fill(
        "Dr. Rivera")
    _next(fresh)
    _on_page(fresh, "health")
    _next(fresh)
    _on_page(fresh, "practicalities")
    fresh.locator("#q-leave_messages").get_by_label("No", exact=True).check()
    _next(fresh)
    expect(fresh.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(fresh.get_by_text(NEW_LABEL)).to_be_visible()
    expect(fresh.get_by_text("Dr. Rivera")).to_be_visible()
    fresh.get_by_role("button", name="Send my answers").click()
    expect(fresh.get_by_role("heading", name="What you sent")).to_be_visible()

    assert server_activity.wait_until_quiet()
    old = Intake.objects.get(client=mid)
    new = Intake.objects.get(client=newcomer)
    assert old.is_submitted and new.is_submitted
    assert (old.questionnaire_id, new.questionnaire_id) == (shipped.pk, practice.pk)
    assert NEW_ID not in old.answers
    assert new.answers[NEW_ID] == "Dr. Rivera"

    # The clinician sees each intake with the version it was answered on.
    desk = open_page("desktop")
    sign_in(desk, clinician_user)
    expect(desk.get_by_role("heading", name="Staff home")).to_be_visible()
    for intake, number, sees_question in ((old, "2", False), (new, "1", True)):
        desk.goto(f"/staff/intakes/{intake.pk}/")
        expect(desk.locator("#intake-version")).to_have_text(
            f"Questionnaire: {TITLE}, version {number}")
        expect(desk.get_by_text(NEW_LABEL)).to_have_count(1 if sees_question else 0)
    expect(desk.get_by_text("Dr. Rivera")).to_be_visible()
    assert_accessible(desk, context="the practice version's intake, for the clinician")
