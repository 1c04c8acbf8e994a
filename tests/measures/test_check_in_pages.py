"""The client's check-in pages: one page per instrument, saved as they go (a stale page
refused with a clear message), "I'd rather not answer today" unless the practice requires
answers, a review, sending, a thank-you. A PHQ-9 item 9 answer above "Not at all" shows the
crisis text at once and raises exactly one safety alert, emailed to the care team once; 0
does not. Another client's check-in is a 404. The answers are ciphertext in the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import SafetyAlert
from measures.models import CheckIn, MeasureResponse
from measures.schedules import schedule_set
from portal.audit.models import AuditEvent
from portal.models import PracticeSettings, User
from tests.helpers import delivered_mail, raw_column, signed_in

pytestmark = pytest.mark.django_db

CRISIS_HEADING = "Thank you for telling us"
ALERT_SUBJECT = "a check-in needs prompt review"


@pytest.fixture
def check_in(caseload: User, clinician_user: User) -> CheckIn:
    schedule = schedule_set(client=caseload, case=None, instruments=["phq9", "gad7"],
                            frequency="weekly", by=clinician_user)
    return CheckIn.objects.get(schedule=schedule)


@pytest.fixture
def send_mail_now(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _page(check_in: CheckIn, slug: str) -> str:
    return reverse("measures_check_in_page", args=[check_in.pk, slug])


def _phq9(item_9: int = 0, **overrides: int) -> dict[str, str]:
    answers = {f"phq9_{n}": "1" for n in range(1, 9)} | {"phq9_9": str(item_9)}
    return answers | {key: str(value) for key, value in overrides.items()}


def _gad7() -> dict[str, str]:
    return {f"gad7_{n}": "2" for n in range(1, 8)}


def _post(http: Client, check_in: CheckIn, slug: str, data: dict[str, str],
          action: str = "next") -> Any:
    revision = CheckIn.objects.get(pk=check_in.pk).revision
    return http.post(_page(check_in, slug), {**data, "revision": str(revision),
                                              "action": action})


def test_a_client_completes_a_check_in_page_by_page(
    caseload: User, check_in: CheckIn,
) -> None:
    http = signed_in(caseload)
    start = http.get(reverse("measures_check_in", args=[check_in.pk]))
    assert start["Location"] == _page(check_in, "phq9")
    page = http.get(_page(check_in, "phq9")).content.decode()
    assert "Step 1 of 3" in page and "Little interest or pleasure" in page
    assert _post(http, check_in, "phq9", _phq9())["Location"] == _page(check_in, "gad7")
    review = _post(http, check_in, "gad7", _gad7())
    assert review["Location"] == reverse("measures_check_in_review", args=[check_in.pk])
    assert "Send my check-in" in http.get(review["Location"]).content.decode()
    revision = CheckIn.objects.get(pk=check_in.pk).revision
    sent = http.post(reverse("measures_check_in_send", args=[check_in.pk]),
                     {"revision": str(revision)})
    assert sent["Location"] == reverse("measures_check_in_thanks", args=[check_in.pk])
    assert "Thank you" in http.get(sent["Location"]).content.decode()
    check_in.refresh_from_db()
    assert check_in.state == "completed"
    assert sorted(MeasureResponse.objects.filter(check_in=check_in)
                  .values_list("instrument", flat=True)) == ["gad7", "phq9"]
    assert AuditEvent.objects.get(action="measures.check_in_completed").detail == {
        "answered": 2, "declined": 0}
    # A second press finds it sent: nothing stored twice.
    again = http.post(reverse("measures_check_in_send", args=[check_in.pk]),
                      {"revision": str(revision)})
    assert again["Location"] == reverse("measures_check_in_thanks", args=[check_in.pk])
    assert MeasureResponse.objects.filter(check_in=check_in).count() == 2


def test_the_answers_are_ciphertext_in_the_database(caseload: User,
                                                    check_in: CheckIn) -> None:
    _post(signed_in(caseload), check_in, "phq9", _phq9(item_9=0, phq9_1=3))
    raw = raw_column(CheckIn, "answers", check_in.pk)
    assert raw is not None
    assert b"phq9" not in raw and b"phq9_1" not in raw
    assert CheckIn.objects.get(pk=check_in.pk).answers["phq9"]["phq9_1"] == 3


def test_a_stale_page_is_refused_with_a_clear_message(caseload: User,
                                                      check_in: CheckIn) -> None:
    http = signed_in(caseload)
    old_revision = CheckIn.objects.get(pk=check_in.pk).revision
    _post(http, check_in, "phq9", _phq9())  # the other tab saved first
    stale = http.post(_page(check_in, "phq9"), {**_phq9(phq9_1=3),
                                                 "revision": str(old_revision),
                                                 "action": "next"})
    assert stale.status_code == 409
    assert "another window or device" in stale.content.decode()
    assert CheckIn.objects.get(pk=check_in.pk).answers["phq9"]["phq9_1"] == 1
    autosaved = http.post(reverse("measures_check_in_autosave", args=[check_in.pk]),
                          {**_phq9(), "instrument": "phq9", "revision": str(old_revision)})
    assert autosaved.status_code == 409
    assert "another window or device" in autosaved.json()["message"]


def test_autosave_saves_and_never_sends_an_answer_back(caseload: User,
                                                       check_in: CheckIn) -> None:
    http = signed_in(caseload)
    saved = http.post(reverse("measures_check_in_autosave", args=[check_in.pk]),
                      {"phq9_1": "2", "instrument": "phq9", "revision": "0"})
    assert saved.status_code == 200
    assert saved.json()["revision"] == 1 and saved.json()["safety"] is False
    assert CheckIn.objects.get(pk=check_in.pk).answers == {"phq9": {"phq9_1": 2}}
    refused = http.post(reverse("measures_check_in_autosave", args=[check_in.pk]),
                        {"phq9_1": "7", "instrument": "phq9", "revision": "1"})
    assert set(refused.json()["errors"]) == {"phq9_1"}


def test_declining_an_instrument_is_allowed_and_sends_without_it(
    caseload: User, check_in: CheckIn,
) -> None:
    http = signed_in(caseload)
    _post(http, check_in, "phq9", {}, action="decline")
    _post(http, check_in, "gad7", _gad7())
    revision = CheckIn.objects.get(pk=check_in.pk).revision
    http.post(reverse("measures_check_in_send", args=[check_in.pk]), {"revision": revision})
    assert list(MeasureResponse.objects.filter(check_in=check_in)
                .values_list("instrument", flat=True)) == ["gad7"]
    assert AuditEvent.objects.get(action="measures.check_in_completed").detail == {
        "answered": 1, "declined": 1}


def test_declining_is_refused_when_the_practice_requires_answers(
    caseload: User, check_in: CheckIn,
) -> None:
    practice = PracticeSettings.load()
    practice.check_in_answers_required = True
    practice.save()
    http = signed_in(caseload)
    assert "rather not answer today" not in http.get(_page(check_in, "phq9")).content.decode()
    refused = _post(http, check_in, "phq9", {}, action="decline")
    assert refused.status_code == 400
    assert "asks for every check-in question to be answered" in refused.content.decode()
    assert CheckIn.objects.get(pk=check_in.pk).declined == []


def test_a_missing_answer_asks_for_one_or_for_declining(caseload: User,
                                                        check_in: CheckIn) -> None:
    answers = _phq9()
    del answers["phq9_4"]
    refused = _post(signed_in(caseload), check_in, "phq9", answers)
    assert refused.status_code == 400
    assert "rather not answer today" in refused.content.decode()


def test_item_9_above_not_at_all_shows_the_crisis_text_and_raises_one_alert(
    caseload: User, clinician_user: User, check_in: CheckIn,
    send_mail_now: Callable[..., Any],
) -> None:
    http = signed_in(caseload)
    with send_mail_now():
        saved = http.post(reverse("measures_check_in_autosave", args=[check_in.pk]),
                          {"phq9_9": "1", "instrument": "phq9", "revision": "0"})
        assert saved.json()["safety"] is True
        # The page itself shows it too, and the next page after saving.
        assert CRISIS_HEADING in http.get(_page(check_in, "phq9")).content.decode()
        moved = _post(http, check_in, "phq9", _phq9(item_9=2))
        assert CRISIS_HEADING in http.get(moved["Location"]).content.decode()
    alerts = SafetyAlert.objects.filter(check_in_id=check_in.pk)
    assert alerts.count() == 1
    assert (alerts.get().client_id, alerts.get().source) == (caseload.pk, "check_in")
    emails = [m for m in delivered_mail() if ALERT_SUBJECT in str(m.subject)]
    assert [m.to for m in emails] == [[clinician_user.email]]
    practice = PracticeSettings.load()
    practice.crisis_text = "Call the Lakeside crisis line on 555 0100."
    practice.save()
    assert "Lakeside crisis line on 555 0100" in http.get(
        _page(check_in, "phq9")).content.decode()


def test_item_9_at_not_at_all_raises_nothing(caseload: User, check_in: CheckIn,
                                             send_mail_now: Callable[..., Any]) -> None:
    http = signed_in(caseload)
    with send_mail_now():
        _post(http, check_in, "phq9", _phq9(item_9=0))
        page = http.get(_page(check_in, "gad7")).content.decode()
    assert '<aside class="intake-crisis crisis-box" id="intake-crisis" ' \
           'aria-labelledby="intake-crisis-heading" hidden>' in page
    assert not SafetyAlert.objects.filter(check_in_id=check_in.pk).exists()
    assert not [m for m in delivered_mail() if ALERT_SUBJECT in str(m.subject)]


def test_a_stranger_gets_404_on_someone_elses_check_in(
    check_in: CheckIn, other_client_user: User, clinician_user: User,
) -> None:
    for who in (other_client_user, clinician_user):
        http = signed_in(who)
        for url in (reverse("measures_check_in", args=[check_in.pk]),
                    _page(check_in, "phq9"),
                    reverse("measures_check_in_review", args=[check_in.pk]),
                    reverse("measures_check_in_thanks", args=[check_in.pk])):
            assert http.get(url).status_code == 404, (who, url)
        assert http.post(reverse("measures_check_in_autosave", args=[check_in.pk]),
                         {"phq9_1": "1", "instrument": "phq9",
                          "revision": "0"}).status_code == 404
        assert http.post(reverse("measures_check_in_send", args=[check_in.pk]),
                         {"revision": "0"}).status_code == 404
    assert CheckIn.objects.get(pk=check_in.pk).revision == 0


def test_an_instrument_not_asked_is_a_404(caseload: User, check_in: CheckIn) -> None:
    assert signed_in(caseload).get(_page(check_in, "csi4")).status_code == 404


def test_the_list_shows_waiting_and_missed_and_pauses_reminders(
    caseload: User, check_in: CheckIn,
) -> None:
    http = signed_in(caseload)
    page = http.get(reverse("measures_check_ins")).content.decode()
    assert reverse("measures_check_in", args=[check_in.pk]) in page
    assert "Pause reminders" in page
    assert check_in.schedule is not None
    http.post(reverse("measures_check_in_reminders", args=[check_in.schedule.pk]),
              {"action": "pause"})
    assert "Turn reminders back on" in http.get(reverse("measures_check_ins")).content.decode()
    CheckIn.objects.filter(pk=check_in.pk).update(state="missed")
    page = http.get(reverse("measures_check_ins")).content.decode()
    assert "missed" in page and "Nothing to do now." in page
    assert http.get(_page(check_in, "phq9"))["Location"] == reverse("measures_check_ins")
