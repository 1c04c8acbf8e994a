"""Measures over time, end to end: a clinician sets weekly PHQ-9 check-ins for a client;
the queue opens each week's check-in and emails a reminder with no content (time moved
forward, never slept); the client follows each link on a phone and answers, scores
falling from 18 to 12 to 8; the clinician's chart shows the three points in their bands
and names the response after the third; a fourth check-in with item 9 above "Not at all"
shows the crisis text at once and raises a safety alert to the care team. Every page
passes axe-core (WCAG 2.x A/AA)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from intake.models import SafetyAlert
from measures.models import CheckIn, CheckInState
from measures.queue import open_due_check_ins, send_check_in_reminders
from portal.models import CareAssignment, User
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import sign_in
from tests.helpers import delivered_mail, mail_body, run_queued_tasks

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://\S+/check-ins/[0-9a-f-]+/")
# PHQ-9 items 1 to 9, each an answer's label: totals 18, 12 and 8, item 9 "Not at all".
WEEKS = (
    ("Nearly every day",) * 6 + ("Not at all",) * 3,
    ("Nearly every day",) * 4 + ("Not at all",) * 5,
    ("More than half the days",) * 4 + ("Not at all",) * 5,
)


def _the_week_passes(weeks: int) -> str:
    """The queue's jobs at the time ``weeks`` weeks on (0: now): the week's check-in
    opens (the first opened when the schedule was set) and its reminder goes; the link in
    the email, the client's only way in."""
    mail.outbox.clear()
    later = timezone.now() + timedelta(weeks=weeks, minutes=1)
    open_due_check_ins(now=later)
    assert send_check_in_reminders(now=later) == 1
    run_queued_tasks()
    [reminder] = delivered_mail()
    body = mail_body(reminder)
    assert "PHQ" not in body and "score" not in body.lower()  # no content, only a link
    match = LINK.search(body)
    assert match is not None, body
    return urlsplit(match.group(0)).path


def _answer_phq9(phone: Page, link: str, answers: tuple[str, ...], *, context: str) -> None:
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Your check-in", level=1)).to_be_visible()
    phone.wait_for_load_state("load")  # autosave.js listens only once it has run
    groups = phone.get_by_role("group")
    for index, label in enumerate(answers):
        groups.nth(index).get_by_label(label, exact=True).check()
    assert_accessible(phone, context=context)
    phone.get_by_role("button", name="Next: check your answers").click()
    expect(phone.get_by_role("heading", name="Check your answers")).to_be_visible()
    phone.get_by_role("button", name="Send my check-in").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()


def test_weekly_check_ins_become_a_trend_and_item_9_raises_the_alert(
    open_page: Callable[..., Page], client_user: User, clinician_user: User,
) -> None:
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    desk = open_page("desktop")
    sign_in(desk, clinician_user)
    desk.goto(f"/staff/check-ins/{client_user.pk}/")
    assert_accessible(desk, context="the check-in schedule page")
    desk.get_by_label("PHQ-9", exact=True).check()
    desk.get_by_label("Every week", exact=True).check()
    desk.get_by_role("button", name="Save the check-ins").click()
    expect(desk.get_by_role("status").or_(desk.get_by_role("alert")).first).to_be_visible()

    phone = open_page("phone")
    sign_in(phone, client_user)
    for week, answers in enumerate(WEEKS):
        _answer_phq9(phone, _the_week_passes(week), answers, context=f"week {week}'s check-in")

    desk.goto(f"/staff/measures/{client_user.pk}/")
    phq9 = desk.locator("section", has=desk.get_by_role("heading", name="PHQ-9", level=2))
    expect(phq9.locator("circle.trend-point")).to_have_count(3)
    rows = phq9.locator("table tbody tr")
    expect(rows).to_have_count(3)
    for row, (total, band) in zip(range(3), (("18", "Moderately severe"), ("12", "Moderate"),
                                             ("8", "Mild")), strict=True):
        expect(rows.nth(row).locator("td").nth(0)).to_have_text(total)
        expect(rows.nth(row).locator("td").nth(1)).to_have_text(band)
    met = phq9.locator(".trend-outcomes li")  # the rules met, each named with its rule
    expect(met.filter(has_text=re.compile(r"^Response: .*50%"))).to_be_visible()
    assert_accessible(desk, context="the clinician's trend page")

    # A fourth week: item 9 above "Not at all" shows the crisis text at once.
    link = _the_week_passes(4)
    phone.goto(link)
    phone.wait_for_load_state("load")
    crisis = phone.locator("#intake-crisis")
    expect(crisis).to_be_hidden()
    groups = phone.get_by_role("group")
    for index in range(8):
        groups.nth(index).get_by_label("Several days", exact=True).check()
    groups.nth(8).get_by_label("Several days", exact=True).check()
    expect(crisis).to_be_visible()
    assert_accessible(phone, context="the check-in with the crisis text shown")

    check_in = CheckIn.objects.filter(client=client_user, state=CheckInState.OPEN).get()
    expect(phone.locator("#autosave-status")).to_contain_text(re.compile(r"Saved at"))
    alert = SafetyAlert.objects.get(check_in_id=check_in.pk)
    assert alert.is_open and alert.emailed_at is not None
    run_queued_tasks()
    assert [m.to for m in delivered_mail()
            if "needs prompt review" in m.subject] == [[clinician_user.email]]
