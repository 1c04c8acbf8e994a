"""Drafts that never lose an answer, stale saves refused, idempotent submission, the safety
flag, encryption at rest, and intakes only for their client and care team."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.http import Http404
from pytest_django import DjangoCaptureOnCommitCallbacks

from intake.access import get_intake_for_staff, get_own_intake
from intake.models import Intake
from intake.safety_alerts import close_alert
from intake.services import (
    AlreadySubmitted,
    IncompleteIntake,
    StaleRevision,
    intake_save_section,
    intake_start,
    intake_submit,
    save_locked_section,
)
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.audit.verify import verify_chain
from portal.models import CareAssignment, User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import closing_acknowledgement, delivered_mail
from tests.intake_data import CANARY, answers_by_section, filled_draft, save_page

pytestmark = pytest.mark.django_db


def test_a_client_has_one_draft_however_often_they_start(client_user: User) -> None:
    first = intake_start(client=client_user)
    assert intake_start(client=client_user).pk == first.pk
    assert Intake.objects.filter(client=client_user).count() == 1
    assert first.questionnaire.slug == "default-intake"


def test_answers_are_stored_encrypted(client_user: User) -> None:
    intake = filled_draft(client_user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM intake_intake")
        (raw,) = cursor.fetchone()
    assert CANARY.encode() not in bytes(raw)
    assert CANARY in Intake.objects.get(pk=intake.pk).answers["in_your_own_words"]


def test_a_refused_answer_keeps_the_saved_one_and_saves_the_rest(client_user: User) -> None:
    intake = save_page(intake_start(client=client_user), "about_you",
                   {"legal_name": "Robin Example"}, client_user)
    outcome = intake_save_section(
        intake_id=intake.pk, client=client_user, section_id="about_you",
        posted={"legal_name": "x" * 5000, "date_of_birth": "1990-04-21"},
        revision=intake.revision,
    )
    assert "legal_name" in outcome.errors
    stored = Intake.objects.get(pk=intake.pk).answers
    assert stored["legal_name"] == "Robin Example"
    assert stored["date_of_birth"] == "1990-04-21"


def test_a_save_from_an_older_page_is_refused_and_shows_the_newer_answers(
    client_user: User,
) -> None:
    intake = intake_start(client=client_user)
    old_revision = intake.revision
    save_page(intake, "about_you", {"legal_name": "From the phone"}, client_user)
    with pytest.raises(StaleRevision) as refused:
        intake_save_section(intake_id=intake.pk, client=client_user, section_id="about_you",
                            posted={"legal_name": "From the laptop"}, revision=old_revision)
    assert refused.value.intake.answers["legal_name"] == "From the phone"
    assert Intake.objects.get(pk=intake.pk).answers["legal_name"] == "From the phone"


def test_submitting_twice_submits_once(
    client_user: User, admin_user: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    intake = filled_draft(client_user)
    with django_capture_on_commit_callbacks(execute=True):
        first = intake_submit(intake_id=intake.pk, client=client_user, revision=intake.revision)
        again = intake_submit(intake_id=intake.pk, client=client_user, revision=intake.revision)
    assert first.is_submitted and again.submitted_at == first.submitted_at
    assert AuditEvent.objects.filter(action=Action.INTAKE_SUBMITTED).count() == 1
    assert sorted(message.to[0] for message in delivered_mail()) == [admin_user.email,
                                                                client_user.email]
    for message in delivered_mail():
        assert CANARY not in message.body and "Robin" not in message.body
    assert verify_chain().intact


def test_a_submitted_intake_is_read_only(client_user: User) -> None:
    intake = filled_draft(client_user)
    intake = intake_submit(intake_id=intake.pk, client=client_user, revision=intake.revision)
    with pytest.raises(AlreadySubmitted):
        intake_save_section(intake_id=intake.pk, client=client_user, section_id="about_you",
                            posted={"legal_name": "Changed"}, revision=intake.revision)
    assert Intake.objects.get(pk=intake.pk).answers["legal_name"] == "Robin Example"


def test_submission_needs_every_required_answer(client_user: User) -> None:
    intake = save_page(intake_start(client=client_user), "about_you",
                   {"legal_name": "Robin Example"}, client_user)
    with pytest.raises(IncompleteIntake) as refused:
        intake_submit(intake_id=intake.pk, client=client_user, revision=intake.revision)
    assert refused.value.missing[:2] == ["date_of_birth", "in_your_own_words"]
    assert not Intake.objects.get(pk=intake.pk).is_submitted


def test_scores_are_computed_at_submission_and_stored_encrypted(client_user: User) -> None:
    intake = filled_draft(client_user, phq9=2, gad7=3)  # PHQ-9: 8 x 2 + 0 = 16; GAD-7: 21
    intake = intake_submit(intake_id=intake.pk, client=client_user, revision=intake.revision)
    stored = {s["instrument"]: (s["total"], s["band"])
              for s in Intake.objects.get(pk=intake.pk).scores}
    assert stored == {"phq9": (16, "Moderately severe"), "gad7": (21, "Severe")}
    with connection.cursor() as cursor:
        cursor.execute("SELECT scores FROM intake_intake")
        (raw,) = cursor.fetchone()
    assert b"Moderately severe" not in bytes(raw)


def test_a_safety_answer_flags_the_draft_at_once_and_the_flag_stays(client_user: User) -> None:
    intake = intake_start(client=client_user)
    feelings = answers_by_section(item_9=1)["feelings"]
    outcome = intake_save_section(intake_id=intake.pk, client=client_user,
                                  section_id="feelings", posted=feelings,
                                  revision=intake.revision)
    assert outcome.safety_now and outcome.intake.needs_prompt_review
    feelings["phq9_9"] = "0"
    calmer = intake_save_section(intake_id=intake.pk, client=client_user,
                                 section_id="feelings", posted=feelings,
                                 revision=outcome.intake.revision)
    assert not calmer.safety_now
    assert Intake.objects.get(pk=intake.pk).needs_prompt_review


def test_answers_hidden_by_a_later_change_are_not_submitted(client_user: User) -> None:
    intake = filled_draft(client_user)
    intake = save_page(intake, "relationships",
                   {"earlier_therapy": "yes", "earlier_therapy_helped": "Talking"}, client_user)
    intake = save_page(intake, "relationships", {"earlier_therapy": "no"}, client_user)
    intake = intake_submit(intake_id=intake.pk, client=client_user, revision=intake.revision)
    assert "earlier_therapy_helped" not in Intake.objects.get(pk=intake.pk).answers


def test_each_acknowledgement_is_kept_and_audited_and_a_resent_one_is_not(
    client_user: User, clinician_user: User
) -> None:
    intake = filled_draft(client_user, item_9=2)
    assert intake.needs_prompt_review
    alert = intake.safety_alert
    first = close_alert(alert=alert, by=clinician_user, note="Called them")
    resent = close_alert(alert=alert, by=clinician_user, note="Called them")
    again = close_alert(alert=alert, by=clinician_user, note="Again")

    assert first.first and first.acknowledgement is not None
    assert resent.acknowledgement is None  # a double click stores nothing
    assert not again.first and again.acknowledgement is not None
    # The alert keeps the first acknowledgement: it is what closed the alert.
    assert again.alert.closed_by_id == clinician_user.pk
    assert closing_acknowledgement(again.alert).note == "Called them"
    assert [row.note for row in alert.acknowledgements.order_by("at", "id")] == [
        "Called them", "Again"]
    events = AuditEvent.objects.filter(action=Action.INTAKE_REVIEW_ACKNOWLEDGED)
    assert [(e.actor_id, e.subject_id) for e in events] == [
        (clinician_user.pk, client_user.pk)] * 2


def test_a_client_cannot_open_another_clients_intake(
    client_user: User, other_client_user: User
) -> None:
    intake = intake_start(client=client_user)
    assert get_own_intake(client_user, intake.pk).pk == intake.pk
    with pytest.raises(Http404):
        get_own_intake(other_client_user, intake.pk)
    with pytest.raises(Http404):
        get_own_intake(client_user, "not-a-uuid")


def test_only_the_care_team_and_admins_open_an_intake(
    client_user: User, clinician_user: User, admin_user: User
) -> None:
    intake = intake_start(client=client_user)
    stranger = UserFactory(role=Role.CLINICIAN)
    with pytest.raises(Http404):
        get_intake_for_staff(clinician_user, intake.pk)
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    assert get_intake_for_staff(clinician_user, intake.pk).pk == intake.pk
    assert get_intake_for_staff(admin_user, intake.pk).pk == intake.pk
    with pytest.raises(Http404):
        get_intake_for_staff(stranger, intake.pk)
    with pytest.raises(Http404):
        get_intake_for_staff(client_user, intake.pk)


@pytest.mark.django_db
def test_a_locked_save_refuses_another_clients_draft(client_user: User,
                                                     other_client_user: User) -> None:
    theirs = intake_start(client=other_client_user)
    with transaction.atomic():
        locked = Intake.objects.select_for_update().get(pk=theirs.pk)
        with pytest.raises(PermissionError):
            save_locked_section(intake=locked, client=client_user, section_id="feelings",
                                posted={"main_concern": "not mine"}, revision=locked.revision)
    assert Intake.objects.get(pk=theirs.pk).revision == theirs.revision

