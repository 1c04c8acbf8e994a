"""The builder's editing pages in a browser: an admin starts a draft from the list, adds a
question with the keyboard-usable buttons, and every page (the list, the draft, a section, a
free question, a locked one) passes axe and fits 320 px without sideways scrolling."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from intake.models import QuestionnaireDraft
from portal.models import User
from tests.browser.accessibility import assert_accessible, assert_no_horizontal_scroll
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_the_editor_pages_are_accessible_and_reflow(
    open_page: Callable[..., Page], admin_user: User,
) -> None:
    page = open_page("desktop")
    sign_in(page, admin_user)
    page.goto("/staff/questionnaires/")
    assert_accessible(page, context="the questionnaire list")
    page.get_by_role("button", name="Start a draft of Getting to know you", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft")
    draft = QuestionnaireDraft.objects.get()
    assert_accessible(page, context="the draft page")

    page.locator("#id_question_new_id").fill("hours_worked")
    page.get_by_label("Type of question").select_option("number")
    page.locator("#id_label-en").fill("Hours worked a week")
    page.locator("#id_label-es").fill("Horas trabajadas por semana")
    page.get_by_role("button", name="Add the question").click()
    expect(page.locator("#entry-hours_worked")).to_be_visible()
    entry = page.locator("#entry-hours_worked")
    entry.get_by_role("button", name="Up").click()
    expect(page.locator("#draft-ready")).to_be_visible()

    paths = [
        ("the questionnaire list", "/staff/questionnaires/"),
        ("the draft page", f"/staff/questionnaires/drafts/{draft.pk}/"),
        ("a section's form", f"/staff/questionnaires/drafts/{draft.pk}/sections/health/"),
        ("the title's form", f"/staff/questionnaires/drafts/{draft.pk}/texts/"),
        ("a choice question's form",
         f"/staff/questionnaires/drafts/{draft.pk}/questions/heard_about_us/"),
        ("a locked question's form",
         f"/staff/questionnaires/drafts/{draft.pk}/questions/date_of_birth/"),
        ("a number question's form",
         f"/staff/questionnaires/drafts/{draft.pk}/questions/hours_worked/"),
    ]
    page.set_viewport_size({"width": 320, "height": 640})
    for name, path in paths:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_horizontal_scroll(page, context=f"{name} at 320 px")
        assert_accessible(page, context=f"{name} at 320 px")
