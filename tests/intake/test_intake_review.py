"""The staff side of a safety alert and of a finished intake: acknowledging an alert with a
note of what was done (encrypted, never audited), the alerts at the top of every staff home
until someone acknowledges them, marking an intake reviewed, the scores drawn on their
bands, and the password asked for again before a copy leaves the portal."""

from __future__ import annotations

import datetime
import itertools
import re
from http import HTTPStatus
from typing import TYPE_CHECKING
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.definitions import install_definition
from intake.models import Intake, SafetyAlert
from intake.score_scales import score_scale
from intake.services import intake_start, intake_submit
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.audit.verify import verify_chain
from portal.models import CareAssignment, User
from portal.roles import Role
from tests.factories import PASSWORD, UserFactory
from tests.helpers import closing_acknowledgement, must_search, sign_in, signed_in
from tests.intake_data import CANARY, filled_draft, save_page

if TYPE_CHECKING:
    from tests.helpers import TestResponse

pytestmark = pytest.mark.django_db

NOTE = "Called the client, safety plan agreed <b>today</b>"
EN_DASH = "\u2013"
HOME_URL = reverse("staff_home")
LIST_URL = reverse("staff_intake_list")


# People and intakes ----------------------------------------------------------------------


def _submitted(client: User, **scores: int) -> Intake:
    intake = filled_draft(client, **scores)
    return intake_submit(intake_id=intake.pk, client=client, revision=intake.revision)


def _assigned_client(email: str, clinician: User, **fields: object) -> User:
    client = UserFactory(role=Role.CLIENT, email=email, **fields)
    CareAssignment.objects.create(client=client, clinician=clinician)
    return client



def _detail_url(intake: Intake) -> str:
    return reverse("staff_intake_detail", args=[intake.pk])


def _ack_url(intake: Intake) -> str:
    return reverse("staff_intake_acknowledge", args=[intake.pk])


def _reviewed_url(intake: Intake) -> str:
    return reverse("staff_intake_mark_reviewed", args=[intake.pk])


def _events(action: Action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def _messages(response: TestResponse) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _raw_note(intake: Intake) -> bytes | None:
    """The note's column as someone with database access reads it, around the model: the
    note of the acknowledgement that closed the intake's safety alert."""
    pk = Intake._meta.pk.get_db_prep_value(intake.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT note FROM intake_safetyalertacknowledgement AS acknowledgement"
            " JOIN intake_safetyalert AS alert ON alert.id = acknowledgement.alert_id"
            " WHERE alert.intake_id = %s ORDER BY acknowledgement.at LIMIT 1", [pk])
        (value,) = cursor.fetchone()
    return None if value is None else bytes(value)


# Acknowledging with a note ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Please write what you did or will do"),
        ("  \r\n\t  ", "Please write what you did or will do"),
        ("x" * 1001, "Please keep the note to 1,000 characters or fewer (it has 1,001)."),
    ],
    ids=["empty", "whitespace", "too-long"],
)
def test_a_missing_or_too_long_note_is_refused_and_given_back(
    caseload: User, clinician_user: User, typed: str, message: str
) -> None:
    intake = _submitted(caseload, item_9=2)
    response = signed_in(clinician_user).post(_ack_url(intake), {"note": typed})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert message in html
    assert 'aria-invalid="true"' in html
    # Every character typed comes back, nothing cut (after the newline HTML drops).
    assert f">\n{typed}</textarea>" in html
    assert "<title>Error: Intake" in html
    kept = Intake.objects.get(pk=intake.pk)
    assert kept.safety_alert.closed_at is None
    assert kept.safety_alert.closing_acknowledgement is None
    assert not _events(Action.INTAKE_REVIEW_ACKNOWLEDGED)


def test_a_note_of_exactly_1000_characters_on_several_lines_is_accepted(
    caseload: User, clinician_user: User
) -> None:
    """Browsers send line breaks as CRLF: the limit counts a line break once."""
    intake = _submitted(caseload, item_9=2)
    lines = ["y" * 99] * 10  # 990 characters and 9 line breaks, as the client typed them
    note = "\r\n".join(lines) + "z"
    response = signed_in(clinician_user).post(_ack_url(intake), {"note": note})
    assert response.status_code == HTTPStatus.FOUND
    stored = closing_acknowledgement(Intake.objects.get(pk=intake.pk).safety_alert).note
    assert stored == "\n".join(lines) + "z" and len(stored) == 1000


def test_the_note_is_stored_encrypted_and_the_event_is_ids_only(
    caseload: User, clinician_user: User
) -> None:
    intake = _submitted(caseload, item_9=2)
    response = signed_in(clinician_user).post(_ack_url(intake), {"note": f"  {NOTE}  "})

    assert response.status_code == HTTPStatus.FOUND
    raw = _raw_note(intake)
    assert raw is not None and raw[0] == 0x01  # the envelope's version byte
    assert NOTE.encode() not in raw and b"safety plan" not in raw
    assert (closing_acknowledgement(Intake.objects.get(pk=intake.pk).safety_alert).note
            == NOTE)  # trimmed
    (event,) = _events(Action.INTAKE_REVIEW_ACKNOWLEDGED)
    assert (event.actor_id, event.subject_id, event.object_id) == (
        clinician_user.pk, caseload.pk, str(intake.pk))
    assert event.detail == {}
    for row in AuditEvent.objects.values_list():
        assert "safety plan" not in str(row)
    assert verify_chain().intact


def test_the_page_then_shows_who_acknowledged_when_and_their_note(
    caseload: User, clinician_user: User, admin_user: User
) -> None:
    intake = _submitted(caseload, item_9=2)
    http = signed_in(clinician_user)
    before = http.get(_detail_url(intake)).content.decode()
    assert "What you did or will do" in before
    assert re.search(r"<textarea[^>]*\brequired\b", before)

    response = http.post(_ack_url(intake), {"note": NOTE}, follow=True)

    assert "Thank you. The safety alert is marked as seen by you, with your note." in (
        _messages(response))
    # A colleague opening the intake later reads it too (decrypted; the opening is audited).
    html = signed_in(admin_user).get(_detail_url(intake)).content.decode()
    assert "Safety alert reviewed" in html
    acknowledged_at = Intake.objects.get(pk=intake.pk).safety_alert.closed_at
    assert f'datetime="{timezone.localtime(acknowledged_at).isoformat()}"' in html
    assert "Acknowledged by Dr. Lee on" in html
    assert "Called the client, safety plan agreed &lt;b&gt;today&lt;/b&gt;" in html
    # Closed: no alarm button, but a colleague may still add what they did.
    assert "I have seen this and will follow up" not in html
    assert "Add my note" in html
    assert [e.actor_id for e in _events(Action.INTAKE_VIEWED)] == [
        clinician_user.pk, clinician_user.pk, admin_user.pk]


def test_acknowledging_again_adds_a_further_note_and_keeps_the_first(
    caseload: User, clinician_user: User
) -> None:
    intake = _submitted(caseload, item_9=2)
    http = signed_in(clinician_user)
    http.post(_ack_url(intake), {"note": NOTE})

    response = http.post(_ack_url(intake), {"note": "A second, different note"}, follow=True)

    assert _messages(response)[-1] == (
        "Thank you. Your further note is added to the safety alert's acknowledgements.")
    assert closing_acknowledgement(Intake.objects.get(pk=intake.pk).safety_alert).note == NOTE
    html = response.content.decode()
    assert html.index("safety plan agreed &lt;b&gt;today") < html.index(
        "A second, different note")
    assert len(_events(Action.INTAKE_REVIEW_ACKNOWLEDGED)) == 2


# Alerts at the top of the staff home ------------------------------------------------------


def test_open_alerts_top_the_home_of_the_assigned_clinician_and_the_admin_only(
    caseload: User, clinician_user: User, admin_user: User, stranger: User
) -> None:
    intake = _submitted(caseload, item_9=2)
    link = f'href="{_detail_url(intake)}"'

    for user in (clinician_user, admin_user):
        html = signed_in(user).get(HOME_URL).content.decode()
        assert "Safety alerts: 1 intake needs prompt review." in html, user
        section = html[html.index('aria-labelledby="safety-alerts-heading"'):]
        assert section.index(link) < section.index("</section>")
        assert "client@example.com" in section  # the login email: no display name
        # At the top: before every other part of the home.
        assert html.index("safety-alerts-heading") < html.index('id="intakes-heading"')

    html = signed_in(stranger).get(HOME_URL).content.decode()
    assert "safety-alerts-heading" not in html
    assert link not in html and "client@example.com" not in html
    assert "No intake is waiting for a safety review." in html


def test_an_alert_stays_listed_until_acknowledged_then_goes(
    clinician_user: User,
) -> None:
    raised = timezone.now() - datetime.timedelta(days=2)
    client = _assigned_client("robin@example.com", clinician_user, display_name="Robin R.")
    with mock.patch("django.utils.timezone.now", return_value=raised):
        draft = save_page(intake_start(client=client), "safety",
                          {"thoughts_of_ending_life_now": "yes"}, client)
    # Saving again later neither moves nor clears the alert's time.
    save_page(draft, "safety", {"thoughts_of_ending_life_now": "no"}, client)
    http = signed_in(clinician_user)

    for _ in range(2):  # every visit, not just the first
        html = http.get(HOME_URL).content.decode()
        assert "Robin R.<span" in html
        assert f'datetime="{timezone.localtime(raised).isoformat()}"' in html
        assert "(intake in progress)" in html

    http.post(_ack_url(draft), {"note": NOTE})

    html = http.get(HOME_URL).content.decode()
    assert "safety-alerts-heading" not in html and "Robin R." not in html
    assert "No intake is waiting for a safety review." in html


def test_the_home_lists_alerts_longest_waiting_first_decrypting_nothing_in_fixed_queries(
    clinician_user: User,
) -> None:
    """Plaintext only (no key needed, nothing recorded), and the same number of queries
    for one alert as for many: each client is joined, not fetched row by row."""
    now = timezone.now()
    clients = []
    for days in (1, 5, 3):
        client = _assigned_client(f"waiting.{days}@example.com", clinician_user)
        intake = _submitted(client, item_9=1)
        SafetyAlert.objects.filter(intake=intake).update(
            raised_at=now - datetime.timedelta(days=days))
        clients.append(client)
    http = signed_in(clinician_user)
    http.get(HOME_URL)  # anything a first visit loads once is loaded now
    # One open alert, then three: the others are closed for a moment, then open again.
    SafetyAlert.objects.exclude(intake__client=clients[0]).update(closed_at=now)
    with CaptureQueriesContext(connection) as one:
        http.get(HOME_URL)
    SafetyAlert.objects.update(closed_at=None)
    events_before = AuditEvent.objects.count()

    with (
        CaptureQueriesContext(connection) as three,
        mock.patch("portal.crypto.fields.open_row",
                   side_effect=AssertionError("decrypted")) as decrypt,
    ):
        html = http.get(HOME_URL).content.decode()

    assert decrypt.call_count == 0
    assert AuditEvent.objects.count() == events_before
    assert len(three) == len(one)
    assert "Safety alerts: 3 intakes need prompt review." in html
    order = [html.index(f"waiting.{days}@example.com") for days in (5, 3, 1)]
    assert order == sorted(order)
    assert CANARY not in html


# Marking an intake reviewed ---------------------------------------------------------------


def test_marking_an_intake_reviewed_is_recorded_once_and_shown(
    caseload: User, clinician_user: User, admin_user: User
) -> None:
    intake = _submitted(caseload)
    http = signed_in(clinician_user)
    assert "Not reviewed yet" in http.get(LIST_URL).content.decode()
    page = http.get(_detail_url(intake)).content.decode()
    assert "Not reviewed yet." in page and f'action="{_reviewed_url(intake)}"' in page

    response = http.post(_reviewed_url(intake))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == _detail_url(intake)
    again = http.post(_reviewed_url(intake), follow=True)  # a double click
    assert _messages(again)[-1] == "The intake is marked as reviewed by you."
    later = signed_in(admin_user).post(_reviewed_url(intake), follow=True)

    kept = Intake.objects.get(pk=intake.pk)
    assert kept.reviewed_by_id == clinician_user.pk and kept.reviewed_at is not None
    message = _messages(later)[-1]
    assert message.startswith("Dr. Lee had already marked this intake reviewed on")
    (event,) = _events(Action.INTAKE_REVIEWED)
    assert (event.actor_id, event.subject_id, event.object_id, event.detail) == (
        clinician_user.pk, caseload.pk, str(intake.pk), {})
    html = later.content.decode()
    assert "by Dr. Lee on" in html and f'action="{_reviewed_url(intake)}"' not in html
    listed = http.get(LIST_URL).content.decode()
    assert 'Reviewed by Dr. Lee <span class="cell-detail">on <time' in listed
    assert "Not reviewed yet" not in listed
    assert verify_chain().intact


def test_a_draft_cannot_be_marked_reviewed(caseload: User, clinician_user: User) -> None:
    draft = filled_draft(caseload)
    http = signed_in(clinician_user)
    assert f'action="{_reviewed_url(draft)}"' not in http.get(_detail_url(draft)).content.decode()

    response = http.post(_reviewed_url(draft), follow=True)

    assert _messages(response) == [
        "This intake is still in progress. It can be marked reviewed once the client has "
        "submitted it."]
    assert Intake.objects.get(pk=draft.pk).reviewed_at is None
    assert not _events(Action.INTAKE_REVIEWED)


def test_marking_reviewed_checks_access(
    caseload: User, stranger: User, client: Client, client_user: User
) -> None:
    intake = _submitted(caseload)
    assert signed_in(stranger).post(_reviewed_url(intake)).status_code == HTTPStatus.NOT_FOUND
    sign_in(client, client_user)
    assert client.post(_reviewed_url(intake)).status_code == HTTPStatus.NOT_FOUND
    assert Intake.objects.get(pk=intake.pk).reviewed_at is None
    assert not _events(Action.INTAKE_REVIEWED)


def test_marking_reviewed_is_a_post(caseload: User, clinician_user: User) -> None:
    intake = _submitted(caseload)
    response = signed_in(clinician_user).get(_reviewed_url(intake))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert Intake.objects.get(pk=intake.pk).reviewed_at is None


# The scores, drawn -------------------------------------------------------------------------


def test_each_score_is_drawn_on_its_bands_with_a_spoken_summary(
    caseload: User, clinician_user: User
) -> None:
    # PHQ-9: eight items at 2 and item 9 at 1 = 17; GAD-7: seven items at 2 = 14.
    intake = _submitted(caseload, phq9=2, gad7=2, item_9=1)
    html = signed_in(clinician_user).get(_detail_url(intake)).content.decode()

    svgs = re.findall(r"<svg\b[^>]*>", html)
    labels = [must_search(r'aria-label="([^"]*)"', svg).group(1) for svg in svgs
              if 'class="score-scale"' in svg]
    assert labels == ["PHQ-9: 17 out of 27, Moderately severe",
                      "GAD-7: 14 out of 21, Moderate"]
    assert all('role="img"' in svg and 'viewBox="0 0 240 60"' in svg for svg in svgs)
    # The legend gives each band's range and marks the client's band.
    assert f"<strong>Moderately severe 15{EN_DASH}19</strong>" in html
    assert f"Minimal 0{EN_DASH}4" in html and f"Severe 20{EN_DASH}27" in html
    # The table stays, as the accessible equivalent.
    assert "17/27" in html and "14/21" in html
    assert html.index("score-scale") < html.index("<table")
    assert " style=" not in html and "<style" not in html


def test_the_marker_sits_in_the_clients_band_and_the_bands_fill_the_bar() -> None:
    questionnaire = install_definition().questionnaire
    phq9 = next(i for i in questionnaire.instruments if i.id == "phq9")
    for total, band in ((0, "Minimal"), (17, "Moderately severe"), (27, "Severe")):
        scale = score_scale(phq9, total, band)
        assert scale is not None
        (current,) = [b for b in scale.bands if b.current]
        assert current.label == band
        assert float(current.x) < float(scale.marker_x) < float(current.x) + float(
            current.width)
        assert 0 <= float(scale.label_x) <= 240
        edges = [(float(b.x), float(b.x) + float(b.width)) for b in scale.bands]
        assert all(abs(end - start) < 0.001
                   for (_, end), (start, _) in itertools.pairwise(edges))
        assert edges[0][0] == 6 and abs(edges[-1][1] - 234) < 0.01
    assert score_scale(phq9, 28, "Severe") is None  # never a marker off the scale


# Copies need the password again ------------------------------------------------------------


@pytest.mark.parametrize(("name", "content_type", "export_format"), [
    ("staff_intake_pdf", "application/pdf", "pdf"),
    ("staff_intake_fhir", "application/fhir+json", "fhir"),
])
def test_a_staff_copy_asks_for_the_password_again_then_downloads_and_is_recorded(
    caseload: User, clinician_user: User, name: str, content_type: str, export_format: str
) -> None:
    intake = _submitted(caseload)
    url = reverse(name, args=[intake.pk])
    http = signed_in(clinician_user)

    asked = http.get(url)

    assert asked.status_code == HTTPStatus.FOUND
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert not _events(Action.INTAKE_EXPORTED)
    confirmed = http.post(asked["Location"], {"password": PASSWORD})
    assert confirmed.status_code == HTTPStatus.FOUND and confirmed["Location"] == url

    response = http.get(confirmed["Location"])

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith(content_type)
    (event,) = _events(Action.INTAKE_EXPORTED)
    assert (event.actor_id, event.subject_id, event.object_id, event.detail) == (
        clinician_user.pk, caseload.pk, str(intake.pk), {"format": export_format})
