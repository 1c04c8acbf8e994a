"""Clinicians read their clients' intakes, safety alerts first: who sees which intake, what
opening one records, and the "I have seen this and will follow up" acknowledgement."""

from __future__ import annotations

import datetime
import re
from http import HTTPStatus
from typing import TYPE_CHECKING
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Intake, SafetyAlert
from intake.services import intake_start, intake_submit
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.crypto.owners import client_owner
from portal.crypto.rotation import erase_owner_keys
from portal.models import CareAssignment, User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import closing_acknowledgement, signed_in
from tests.intake_data import CANARY, filled_draft, save_page

if TYPE_CHECKING:
    from tests.helpers import TestResponse

pytestmark = pytest.mark.django_db

LIST_URL = reverse("staff_intake_list")
NOTE = {"note": "Called the client, safety plan agreed"}
ITEM_9_LABEL = "Thoughts that you would be better off dead or of hurting yourself in some way"
CURRENT_THOUGHTS_LABEL = "Are you having thoughts of ending your life at the moment?"


# People and intakes ----------------------------------------------------------------------


def _assigned_client(email: str, clinician: User) -> User:
    client = UserFactory(role=Role.CLIENT, email=email)
    CareAssignment.objects.create(client=client, clinician=clinician)
    return client


def _submitted(client: User, *, at: datetime.datetime | None = None, **scores: int) -> Intake:
    intake = filled_draft(client, **scores)
    intake = intake_submit(intake_id=intake.pk, client=client, revision=intake.revision)
    if at is not None:
        Intake.objects.filter(pk=intake.pk).update(submitted_at=at)
    return intake



def _detail_url(intake: Intake) -> str:
    return reverse("staff_intake_detail", args=[intake.pk])


def _ack_url(intake: Intake) -> str:
    return reverse("staff_intake_acknowledge", args=[intake.pk])


def _listed(response: TestResponse) -> list[object]:
    return [row.intake.pk for row in response.context["rows"]]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


def _events(action: Action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


# The list ---------------------------------------------------------------------------------


def test_the_assigned_clinician_sees_flagged_intakes_first(clinician_user: User) -> None:
    now = timezone.now()
    older = _submitted(_assigned_client("older@example.com", clinician_user),
                       at=now - datetime.timedelta(days=3))
    newer = _submitted(_assigned_client("newer@example.com", clinician_user),
                       at=now - datetime.timedelta(days=1))
    drafting = _assigned_client("plain@example.com", clinician_user)
    plain_draft = save_page(intake_start(client=drafting), "about_you", {"legal_name": "Sam"},
                        drafting)
    # A client who disclosed current risk in a draft they may never submit.
    at_risk = _assigned_client("at.risk@example.com", clinician_user)
    flagged_draft = save_page(intake_start(client=at_risk), "safety",
                          {"thoughts_of_ending_life_now": "yes"}, at_risk)
    flagged_submitted = _submitted(_assigned_client("flagged@example.com", clinician_user),
                                   at=now - datetime.timedelta(days=5), item_9=2)

    response = signed_in(clinician_user).get(LIST_URL)

    assert response.status_code == HTTPStatus.OK
    listed = _listed(response)
    assert set(listed[:2]) == {flagged_draft.pk, flagged_submitted.pk}
    assert listed[2:] == [newer.pk, older.pk, plain_draft.pk]
    html = response.content.decode()
    assert html.count("Needs prompt review") >= 2
    assert "2 intakes need prompt review." in html
    assert "at.risk@example.com" in html
    assert "Your safety (page 4 of 7)" in html  # how far the draft got


def test_an_acknowledged_alert_moves_down_and_says_who_reviewed_it(
    caseload: User, clinician_user: User
) -> None:
    flagged = _submitted(caseload, item_9=1,
                         at=timezone.now() - datetime.timedelta(days=10))
    newer = _submitted(_assigned_client("newer@example.com", clinician_user))
    http = signed_in(clinician_user)
    assert _listed(http.get(LIST_URL))[0] == flagged.pk

    http.post(_ack_url(flagged), NOTE)

    response = http.get(LIST_URL)
    assert _listed(response) == [newer.pk, flagged.pk]
    html = response.content.decode()
    assert re.search(r'Acknowledged by Dr\. Lee <span class="cell-detail">on <time', html)
    assert "Needs prompt review" not in html


def test_the_list_decrypts_nothing(caseload: User, clinician_user: User) -> None:
    """Plaintext columns only: no intake.viewed event, no answer on the page, and not one
    value decrypted (so it needs no client's data key)."""
    _submitted(caseload, item_9=2)
    http = signed_in(clinician_user)
    events_before = AuditEvent.objects.count()

    with mock.patch("portal.crypto.fields.open_row",
                    side_effect=AssertionError("decrypted")) as decrypt:
        response = http.get(LIST_URL)

    assert response.status_code == HTTPStatus.OK
    assert decrypt.call_count == 0
    assert AuditEvent.objects.count() == events_before
    html = response.content.decode()
    assert CANARY not in html
    assert "Robin" not in html  # the legal name the client typed
    assert "Needs prompt review" in html


def test_an_unassigned_clinician_neither_lists_nor_opens_the_intake(
    caseload: User, clinician_user: User
) -> None:
    intake = _submitted(caseload, item_9=2)
    stranger = UserFactory(role=Role.CLINICIAN, email="stranger@example.com",
                           display_name="Dr. Stranger", totp=True)
    http = signed_in(stranger)

    listed = http.get(LIST_URL)
    assert _listed(listed) == []
    assert caseload.email not in listed.content.decode()
    assert http.get(_detail_url(intake)).status_code == HTTPStatus.NOT_FOUND
    assert http.post(_ack_url(intake), NOTE).status_code == HTTPStatus.NOT_FOUND
    assert "No intake is waiting for a safety review." in http.get(
        reverse("staff_home")).content.decode()
    assert not _events(Action.INTAKE_VIEWED)
    assert Intake.objects.get(pk=intake.pk).safety_alert.closed_at is None


def test_the_admin_sees_every_intake(
    caseload: User, other_client_user: User, admin_user: User
) -> None:
    mine = _submitted(caseload)
    unassigned = intake_start(client=other_client_user)
    http = signed_in(admin_user)

    assert set(_listed(http.get(LIST_URL))) == {mine.pk, unassigned.pk}
    assert http.get(_detail_url(unassigned)).status_code == HTTPStatus.OK


def test_a_client_gets_404_on_every_staff_intake_page(as_client: Client, caseload: User) -> None:
    intake = _submitted(caseload, item_9=2)
    assert as_client.get(LIST_URL).status_code == HTTPStatus.NOT_FOUND
    assert as_client.get(_detail_url(intake)).status_code == HTTPStatus.NOT_FOUND
    assert as_client.post(_ack_url(intake)).status_code == HTTPStatus.NOT_FOUND
    assert not _events(Action.INTAKE_VIEWED)
    assert not _events(Action.INTAKE_REVIEW_ACKNOWLEDGED)


# One intake -------------------------------------------------------------------------------


def test_opening_an_intake_records_one_view_and_shows_scores_and_answers(
    caseload: User, clinician_user: User
) -> None:
    intake = _submitted(caseload, phq9=2, gad7=3)  # PHQ-9: 8 x 2 + 0 = 16; GAD-7: 21
    http = signed_in(clinician_user)

    response = http.get(_detail_url(intake))

    assert response.status_code == HTTPStatus.OK
    viewed = _events(Action.INTAKE_VIEWED)
    assert [(e.actor_id, e.subject_id, e.object_id) for e in viewed] == [
        (clinician_user.pk, caseload.pk, str(intake.pk))
    ]
    scores = {row.title: (row.total, row.max_total, row.band)
              for row in response.context["reading"].scores}
    assert scores == {"PHQ-9": (16, 27, "Moderately severe"), "GAD-7": (21, 21, "Severe")}
    html = response.content.decode()
    assert "16/27" in html and "Moderately severe" in html
    assert "21/21" in html and "Severe" in html
    assert "Scores describe symptoms; they are not a diagnosis." in html
    assert "Robert L. Spitzer" in html  # the instruments' attribution
    # Answers in words, not stored ids.
    assert CANARY in html
    assert "21 Apr 1990" in html
    assert "A partner or spouse" in html and "Weekday evenings" in html
    assert "weekday_evenings" not in html
    assert reverse("staff_intake_pdf", args=[intake.pk]) in html
    assert reverse("staff_intake_fhir", args=[intake.pk]) in html
    # No alert for an intake without a safety answer.
    assert "Needs prompt review" not in html
    assert reverse("staff_intake_acknowledge", args=[intake.pk]) not in html


def test_the_safety_alert_comes_first_and_is_acknowledged_once(
    caseload: User, clinician_user: User
) -> None:
    intake = _submitted(caseload, item_9=2)
    http = signed_in(clinician_user)
    assert "1 intake needs prompt review." in http.get(reverse("staff_home")).content.decode()

    html = http.get(_detail_url(intake)).content.decode()
    assert "Needs prompt review" in html
    assert ITEM_9_LABEL in html and "More than half the days" in html
    assert "I have seen this and will follow up" in html
    # Risk first: the alert comes before the scores and the answers.
    assert html.index("Needs prompt review") < html.index("Scores describe symptoms")
    assert html.index("Needs prompt review") < html.index(CANARY)

    response = http.post(_ack_url(intake), NOTE)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == _detail_url(intake)
    again = http.post(_ack_url(intake), NOTE, follow=True)  # a second click

    acknowledged = _events(Action.INTAKE_REVIEW_ACKNOWLEDGED)
    assert [(e.actor_id, e.subject_id) for e in acknowledged] == [(clinician_user.pk,
                                                                   caseload.pk)]
    html = again.content.decode()
    assert "You had just sent this note. It is saved once." in [
        str(m) for m in again.context["messages"]]
    assert html.count("Acknowledged by Dr. Lee on") == 1
    assert "I have seen this and will follow up" not in html
    assert "Add my note" in html  # a further note is still possible
    assert CANARY not in str([str(m) for m in again.context["messages"]])
    assert "No intake is waiting for a safety review." in http.get(
        reverse("staff_home")).content.decode()


def test_a_colleague_acknowledging_later_adds_their_note_and_keeps_the_first(
    caseload: User, clinician_user: User, admin_user: User
) -> None:
    intake = _submitted(caseload, item_9=1)
    signed_in(clinician_user).post(_ack_url(intake), NOTE)

    response = signed_in(admin_user).post(_ack_url(intake), {"note": "I called too"},
                                           follow=True)

    shown = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("Thank you. Your note is added. Dr. Lee had acknowledged this "
                            "safety alert first, on") for m in shown), shown
    kept = Intake.objects.get(pk=intake.pk)
    assert kept.safety_alert.closed_by_id == clinician_user.pk
    assert closing_acknowledgement(kept.safety_alert).note == NOTE["note"]
    assert [(row.by_id, row.note)
            for row in kept.safety_alert.acknowledgements.order_by("at", "id")] == [
        (clinician_user.pk, NOTE["note"]), (admin_user.pk, "I called too")]
    assert [e.actor_id for e in _events(Action.INTAKE_REVIEW_ACKNOWLEDGED)] == [
        clinician_user.pk, admin_user.pk]


def test_acknowledging_an_intake_without_an_alert_changes_nothing(
    caseload: User, clinician_user: User
) -> None:
    intake = _submitted(caseload)
    response = signed_in(clinician_user).post(_ack_url(intake))
    assert response.status_code == HTTPStatus.FOUND
    assert not _events(Action.INTAKE_REVIEW_ACKNOWLEDGED)
    # No alert, so nothing to acknowledge: none is made either.
    assert not SafetyAlert.objects.filter(intake=intake).exists()


def test_the_acknowledgement_is_a_post(caseload: User, clinician_user: User) -> None:
    intake = _submitted(caseload, item_9=2)
    response = signed_in(clinician_user).get(_ack_url(intake))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert not _events(Action.INTAKE_REVIEW_ACKNOWLEDGED)


def test_a_flagged_draft_is_shown_as_in_progress_and_still_audited(
    caseload: User, clinician_user: User
) -> None:
    draft = save_page(intake_start(client=caseload), "safety",
                  {"thoughts_of_ending_life_now": "yes"}, caseload)
    response = signed_in(clinician_user).get(_detail_url(draft))

    html = response.content.decode()
    assert "In progress — not submitted yet; answers may change" in html
    assert "Needs prompt review" in html
    assert CURRENT_THOUGHTS_LABEL in html
    assert [e.subject_id for e in _events(Action.INTAKE_VIEWED)] == [caseload.pk]
    assert "Scores appear once every question of a scale is answered." in html
    assert reverse("staff_intake_pdf", args=[draft.pk]) not in html  # copies: submitted only


def test_an_alert_whose_answer_was_changed_in_the_draft_still_shows(
    caseload: User, clinician_user: User
) -> None:
    draft = save_page(intake_start(client=caseload), "safety",
                  {"thoughts_of_ending_life_now": "yes"}, caseload)
    save_page(draft, "safety", {"thoughts_of_ending_life_now": "no"}, caseload)
    html = signed_in(clinician_user).get(_detail_url(draft)).content.decode()
    assert "Needs prompt review" in html
    assert "changed it afterwards" in html


def test_html_in_answers_is_escaped(caseload: User, clinician_user: User) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    draft = save_page(intake_start(client=caseload), "what_brings_you",
                  {"in_your_own_words": hostile}, caseload)
    html = signed_in(clinician_user).get(_detail_url(draft)).content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_an_erased_clients_intake_cannot_be_read_and_records_nothing(
    caseload: User, clinician_user: User
) -> None:
    intake = _submitted(caseload)
    erase_owner_keys(client_owner(caseload.pk))
    response = signed_in(clinician_user).get(_detail_url(intake))
    assert response.status_code == HTTPStatus.OK
    assert "can no longer be read" in response.content.decode()
    assert not _events(Action.INTAKE_VIEWED)


def test_the_pages_need_no_inline_script_or_style(caseload: User, clinician_user: User) -> None:
    """The strict CSP refuses inline script and style: the pages must not rely on them."""
    intake = _submitted(caseload, item_9=3)
    http = signed_in(clinician_user)
    for url in (LIST_URL, _detail_url(intake), reverse("staff_home")):
        html = http.get(url).content.decode()
        assert " style=" not in html and "<style" not in html, url
        assert not INLINE_SCRIPT.search(html), url
