"""A couple's intakes: each partner's own, under their own key; what one partner may read
of the other's (shared answers of a sent intake, never a private one); the care team's
side-by-side reading, recorded per person; erasing one partner leaves the other whole."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from clients.services import client_erase
from intake.models import Intake
from intake.services import intake_submit
from portal.audit.actions import Action
from portal.audit.selectors import record_access_for_client
from portal.models import AuditEvent, CareAssignment, Case, User
from tests.helpers import (
    body_bytes,
    client_account,
    couple_case,
    delivered_mail,
    key_owner_of,
    mail_body,
    raw_column,
    run_queued_tasks,
    signed_in,
)
from tests.intake_data import PRIVATE_CANARY, SHARED_CANARY, filled_couple_draft, save_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def couple(admin_user: User, clinician_user: User) -> tuple[Case, User, User]:
    """Ana and Ben, a couple on Dr. Lee's care team, each with their own account."""
    ana = client_account("ana@example.com")
    ben = client_account("ben@example.com")
    return couple_case(admin_user, ana, ben, clinician=clinician_user), ana, ben


def _sent(client: User, case: Case) -> Intake:
    draft = filled_couple_draft(client, case)
    return intake_submit(intake_id=draft.pk, client=client, revision=draft.revision)


def test_a_partner_starts_their_own_couple_intake_from_the_case(
    couple: tuple[Case, User, User],
) -> None:
    case, ana, _ben = couple
    browser = signed_in(ana)
    page = browser.get(reverse("intake_case_home", args=[case.pk]))
    assert page.status_code == HTTPStatus.OK
    assert b"Shared" in page.content or b"shared" in page.content
    response = browser.post(reverse("intake_case_home", args=[case.pk]))
    assert response.status_code == HTTPStatus.FOUND
    intake = Intake.objects.get(client=ana)
    assert intake.case == case and intake.questionnaire.slug == "couple-intake"
    # A second press finds the same draft; the individual intake is another record.
    browser.post(reverse("intake_case_home", args=[case.pk]))
    assert Intake.objects.filter(client=ana).count() == 1


def test_a_partner_reads_only_what_the_other_shared_and_only_once_it_is_sent(
    couple: tuple[Case, User, User],
) -> None:
    case, ana, ben = couple
    draft = filled_couple_draft(ben, case)
    as_ana = signed_in(ana)
    shared_page = reverse("intake_shared", args=[case.pk])
    assert SHARED_CANARY.encode() not in as_ana.get(shared_page).content  # a draft: not yet
    intake_submit(intake_id=draft.pk, client=ben, revision=draft.revision)
    page = as_ana.get(shared_page)
    assert page.status_code == HTTPStatus.OK
    assert SHARED_CANARY.encode() in page.content
    assert PRIVATE_CANARY.encode() not in page.content
    assert b"Your partner" in page.content
    [event] = AuditEvent.objects.filter(action=Action.INTAKE_SHARED_VIEWED)
    assert event.actor_id == ana.pk and event.subject_id == ben.pk


def test_a_partner_cannot_open_the_others_intake_or_its_copies(
    couple: tuple[Case, User, User],
) -> None:
    case, ana, ben = couple
    bens = _sent(ben, case)
    as_ana = signed_in(ana)
    for name in ("intake_submitted", "intake_pdf", "intake_fhir", "intake_review"):
        response = as_ana.get(reverse(name, args=[bens.pk]))
        assert response.status_code == HTTPStatus.NOT_FOUND, name
        assert PRIVATE_CANARY.encode() not in body_bytes(response)
    for name in ("staff_intake_detail", "staff_case_intakes"):
        target = case.pk if name == "staff_case_intakes" else bens.pk
        assert as_ana.get(reverse(name, args=[target])).status_code == HTTPStatus.NOT_FOUND


def test_someone_outside_the_case_sees_nothing_of_it(couple: tuple[Case, User, User]) -> None:
    case, _ana, ben = couple
    _sent(ben, case)
    outsider = client_account("outsider@example.com")
    response = signed_in(outsider).get(reverse("intake_shared", args=[case.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Client().get(reverse("intake_shared", args=[case.pk])).status_code == HTTPStatus.FOUND


def test_each_partners_answers_are_sealed_under_their_own_key(
    couple: tuple[Case, User, User],
) -> None:
    case, ana, ben = couple
    for partner in (ana, ben):
        intake = _sent(partner, case)
        raw = raw_column(Intake, "answers", intake.pk)
        assert raw is not None and PRIVATE_CANARY.encode() not in raw
        assert key_owner_of(raw) == partner.pk


def test_the_care_team_reads_both_side_by_side_and_each_opening_is_on_that_persons_record(
    couple: tuple[Case, User, User], clinician_user: User,
) -> None:
    case, ana, ben = couple
    _sent(ana, case)
    _sent(ben, case)
    page = signed_in(clinician_user).get(reverse("staff_case_intakes", args=[case.pk]))
    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    # Both partners' private words, each marked private, for the care team only.
    assert text.count(PRIVATE_CANARY) == 2 and "Private" in text
    assert "Shared with your partner" in text and "CSI-4" in text
    opened = AuditEvent.objects.filter(action=Action.INTAKE_VIEWED, actor_id=clinician_user.pk)
    assert sorted(str(e.subject_id) for e in opened) == sorted([str(ana.pk), str(ben.pk)])
    # Each person's "Who has opened my record" lists the opening of their own record only.
    for partner in (ana, ben):
        own = list(record_access_for_client(partner))
        assert len(own) == 1 and own[0].subject_id == partner.pk


def test_erasing_one_partner_leaves_the_others_intake_whole(
    couple: tuple[Case, User, User], admin_user: User, clinician_user: User,
) -> None:
    case, ana, ben = couple
    _sent(ana, case)
    bens = _sent(ben, case)
    client_erase(user=ana, actor=admin_user)
    bens.refresh_from_db()
    assert PRIVATE_CANARY in str(bens.answers)
    page = signed_in(clinician_user).get(reverse("staff_case_intakes", args=[case.pk]))
    assert page.status_code == HTTPStatus.OK
    assert b"record was erased" in page.content
    assert page.content.decode().count(PRIVATE_CANARY) == 1
    # Ben no longer reads anything of Ana's; Ana's shared words are gone for him too.
    shared = signed_in(ben).get(reverse("intake_shared", args=[case.pk]))
    assert SHARED_CANARY.encode() not in shared.content


def test_a_partners_safety_answer_reaches_the_cases_care_team_not_their_individual_one(
    couple: tuple[Case, User, User], clinician_user: User, stranger: User,
) -> None:
    """Dr. Lee (the couple's clinician) is emailed about Ben's flagged couple intake; Dr.
    Stranger, on Ben's individual care team, is not: it is not their record."""
    case, _ana, ben = couple
    CareAssignment.objects.create(client=ben, clinician=stranger)
    draft = filled_couple_draft(ben, case)
    draft = save_page(draft, "safety", {"afraid_of_partner": "yes"}, ben)
    intake_submit(intake_id=draft.pk, client=ben, revision=draft.revision)
    alerted = AuditEvent.objects.filter(action=Action.INTAKE_SAFETY_ALERT_SENT)
    assert {event.detail["recipient"] for event in alerted} == {str(clinician_user.pk)}
    run_queued_tasks()
    to = {address for message in delivered_mail() for address in message.to}
    assert clinician_user.email in to and stranger.email not in to
    assert all(PRIVATE_CANARY not in mail_body(message) for message in delivered_mail())
