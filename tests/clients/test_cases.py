"""Couple and family cases: building one, bringing people in, a child's record, guardians,
the case's care team, and who may open what (strangers get a 404)."""

from __future__ import annotations

import datetime
import json
import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.group import Group
from fhir.resources.R4B.relatedperson import RelatedPerson

from clients.cases import (
    case_assign,
    case_create,
    case_participant_invite,
    child_add,
    guardian_link,
    guardianship_attest,
    has_individual_record,
)
from intake.models import Intake
from intake.services import intake_start
from portal.audit.actions import Action
from portal.mail import notify
from portal.models import (
    AuditEvent,
    CareAssignment,
    Case,
    CaseParticipant,
    ClientProfile,
    Guardianship,
    Invitation,
    OutgoingMessage,
    ParticipantRole,
    User,
)
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

LINK = re.compile(r"(/invitations/[^\s]+/)")
PASSWORD = "a long enough passphrase 42"


@pytest.mark.django_db
def test_an_admin_creates_a_couple_case_and_each_partner_joins_with_their_own_invitation(
    as_admin: Client, admin_user: User,
) -> None:
    response = as_admin.post(reverse("case_new"), {"kind": "couple", "secrets_policy": ""})
    assert response.status_code == HTTPStatus.FOUND
    case = Case.objects.get()
    assert response["Location"] == reverse("case_detail", args=[case.pk])
    for email in ("ana@example.com", "ben@example.com"):
        response = as_admin.post(reverse("case_invite", args=[case.pk]),
                                 {"email": email, "role": "partner"})
        assert response.status_code == HTTPStatus.FOUND
    run_queued_tasks()
    links = {message.to[0]: LINK.search(mail_body(message)).group(1)  # type: ignore[union-attr]
             for message in delivered_mail()}
    assert set(links) == {"ana@example.com", "ben@example.com"}
    page = as_admin.get(reverse("case_detail", args=[case.pk]))
    assert b"Invited: ana@example.com" in page.content

    visitor = Client()
    assert visitor.get(links["ana@example.com"]).status_code == HTTPStatus.FOUND
    visitor.post(reverse("account_signup"), {"email": "ana@example.com",
                                             "password1": PASSWORD, "password2": PASSWORD})
    ana = User.objects.get(email="ana@example.com")
    assert CaseParticipant.objects.get(case=case, person=ana).role == ParticipantRole.PARTNER
    # She came for the couple's work only: no individual intake is asked of her.
    assert not has_individual_record(ana)
    home = visitor.get(reverse("client_home"))
    assert b"Seen as a couple" in home.content
    assert b"Start your intake" not in home.content
    assert reverse("intake_case_home", args=[case.pk]).encode() in home.content
    added = AuditEvent.objects.filter(action=Action.CASE_PARTICIPANT_ADDED)
    assert added.count() == 2 and all(e.detail == {"role": "partner", "invited": True}
                                      for e in added)


@pytest.mark.django_db
def test_an_existing_client_joins_a_case_at_once_and_is_emailed_nothing_personal(
    admin_user: User, clinician_user: User,
) -> None:
    # In individual therapy with Dr. Lee already.
    existing = client_account("in.therapy@example.com", clinician=clinician_user,
                              legal_name="Dana Quill")
    case = case_create(kind="couple", created_by=admin_user)
    case_participant_invite(case=case, email="IN.therapy@example.com", role="partner",
                            actor=admin_user)
    assert CaseParticipant.objects.get(case=case).person == existing
    assert not Invitation.objects.exists()
    run_queued_tasks()
    [message] = delivered_mail()
    assert message.to == ["in.therapy@example.com"]
    assert "Dana" not in mail_body(message) and "couple" not in mail_body(message).lower()
    # Their individual record is still theirs; someone who came only for the case has none.
    assert has_individual_record(existing)
    newcomer = client_account("newcomer@example.com")
    case_participant_invite(case=case, email=newcomer.email, role="partner", actor=admin_user)
    assert not has_individual_record(newcomer)


@pytest.mark.django_db
def test_a_case_refuses_staff_the_same_person_twice_and_roles_it_has_no_place_for(
    admin_user: User, clinician_user: User, client_user: User,
) -> None:
    couple = case_create(kind="couple", created_by=admin_user)
    with pytest.raises(Exception, match="cannot join a case"):
        case_participant_invite(case=couple, email=clinician_user.email, role="partner",
                                actor=admin_user)
    case_participant_invite(case=couple, email=client_user.email, role="partner",
                            actor=admin_user)
    with pytest.raises(Exception, match="already in the case"):
        case_participant_invite(case=couple, email=client_user.email, role="partner",
                                actor=admin_user)
    with pytest.raises(Exception, match="no place for this role"):
        case_participant_invite(case=couple, email="kid@example.com", role="adolescent",
                                actor=admin_user, date_of_birth=datetime.date(2012, 1, 1))


@pytest.mark.django_db
def test_an_adolescent_account_needs_the_practices_age(as_admin: Client,
                                                        admin_user: User) -> None:
    case = case_create(kind="family", created_by=admin_user)
    today = timezone.localdate()
    too_young = today.replace(year=today.year - 11)
    response = as_admin.post(reverse("case_invite", args=[case.pk]), {
        "email": "young@example.com", "role": "adolescent",
        "date_of_birth": too_young.isoformat()})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"from age 12" in response.content
    assert not CaseParticipant.objects.exists()
    old_enough = today.replace(year=today.year - 14)
    response = as_admin.post(reverse("case_invite", args=[case.pk]), {
        "email": "teen@example.com", "role": "adolescent",
        "date_of_birth": old_enough.isoformat()})
    assert response.status_code == HTTPStatus.FOUND
    assert CaseParticipant.objects.get().role == ParticipantRole.ADOLESCENT


@pytest.mark.django_db
def test_a_childs_record_cannot_sign_in_gets_no_mail_and_is_sealed_under_its_own_key(
    as_admin: Client, admin_user: User,
) -> None:
    case = case_create(kind="family", created_by=admin_user)
    response = as_admin.post(reverse("case_child_add", args=[case.pk]), {
        "legal_name": "Milo Canary-Child", "date_of_birth": "2019-05-04"})
    assert response.status_code == HTTPStatus.FOUND
    child = CaseParticipant.objects.get(case=case).person
    assert child is not None and child.email.endswith("@records.invalid")
    assert not child.has_usable_password()
    assert not Client().login(email=child.email, password="")
    profile = ClientProfile.objects.get(user=child)
    raw = raw_column(ClientProfile, "legal_name", profile.pk)
    assert raw is not None and b"Milo" not in raw and key_owner_of(raw) == child.pk
    assert ClientProfile.objects.get(user=child).legal_name == "Milo Canary-Child"
    assert notify(child, template="clients/email/added_to_case", context={}) == []
    assert not OutgoingMessage.objects.exists()


def _family(admin: User) -> tuple[Case, User, User, CaseParticipant, list[Guardianship]]:
    case = case_create(kind="family", created_by=admin)
    mum = client_account("mum@example.com")
    dad = client_account("dad@example.com")
    parents = [case_participant_invite(case=case, email=p.email, role="adult", actor=admin)
               for p in (mum, dad)]
    child = child_add(case=case, legal_name="Milo", date_of_birth=datetime.date(2018, 1, 2),
                      actor=admin)
    links = [guardian_link(case=case, guardian=parent, minor=child, relationship=word,
                           legal_authority="Joint legal custody", signs_for_child=True,
                           actor=admin)
             for parent, word in zip(parents, ("Mother", "Father"), strict=True)]
    return case, mum, dad, child, links


@pytest.mark.django_db
def test_each_guardian_confirms_their_own_authority_and_no_one_else_can(
    admin_user: User,
) -> None:
    _case, mum, _dad, child, (mums, dads) = _family(admin_user)
    raw = raw_column(Guardianship, "relationship", mums.pk)
    # About the child, so sealed under the child's key: erasing the child shreds it.
    assert raw is not None and b"Mother" not in raw and key_owner_of(raw) == child.person_id
    as_mum = signed_in(mum)
    home = as_mum.get(reverse("client_home"))
    assert reverse("guardianship_confirm", args=[mums.pk]).encode() in home.content
    page = as_mum.get(reverse("guardianship_confirm", args=[mums.pk]))
    assert b"Mother" in page.content and b"Joint legal custody" in page.content
    assert as_mum.get(reverse("guardianship_confirm", args=[dads.pk])).status_code == 404
    refused = as_mum.post(reverse("guardianship_confirm", args=[mums.pk]), {})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert b"Tick the box to confirm" in refused.content
    as_mum.post(reverse("guardianship_confirm", args=[mums.pk]), {"confirm": "on"})
    mums.refresh_from_db()
    dads.refresh_from_db()
    assert mums.attested_at is not None and dads.attested_at is None
    with pytest.raises(Exception, match="Only the guardian"):
        guardianship_attest(guardianship=dads, by=mum)
    assert AuditEvent.objects.filter(action=Action.CASE_GUARDIAN_ATTESTED,
                                     subject_id=child.person_id).count() == 1


@pytest.mark.django_db
def test_case_pages_are_404_for_a_clinician_off_the_case_clients_and_strangers(
    admin_user: User, clinician_user: User, stranger: User, client_user: User,
    other_client_user: User,
) -> None:
    case = couple_case(admin_user, client_user, other_client_user)
    case_assign(case=case, clinician=clinician_user, actor=admin_user)
    staff_urls = [reverse("case_detail", args=[case.pk]),
                  reverse("staff_case_intakes", args=[case.pk])]
    outsider = client_account("outsider@example.com")
    # One sign-in each: a second one would reuse the same two-factor code.
    browsers = {who.email: signed_in(who)
                for who in (clinician_user, stranger, client_user, outsider)}
    for url in staff_urls:
        assert browsers[clinician_user.email].get(url).status_code == HTTPStatus.OK, url
        for who in (stranger, client_user, outsider):
            assert browsers[who.email].get(url).status_code == HTTPStatus.NOT_FOUND, (url, who)
        assert Client().get(url).status_code in (HTTPStatus.FOUND, HTTPStatus.NOT_FOUND)
    client_urls = [reverse("intake_case_home", args=[case.pk]),
                   reverse("intake_shared", args=[case.pk])]
    for url in client_urls:
        for who in (outsider, stranger, clinician_user):
            assert browsers[who.email].get(url).status_code == HTTPStatus.NOT_FOUND, (url, who)
    for url in (reverse("case_invite", args=[case.pk]),
                reverse("case_child_add", args=[case.pk])):
        response = browsers[clinician_user.email].post(url, {})
        assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.django_db
def test_separate_records_stay_separate_between_a_case_and_an_individual_care_team(
    admin_user: User, clinician_user: User, stranger: User, client_user: User,
    other_client_user: User,
) -> None:
    """Dr. Lee sees the couple's intakes; Dr. Stranger, on the client's individual care
    team, sees the individual intake only, and neither sees the other's."""
    CareAssignment.objects.create(client=client_user, clinician=stranger)
    case = couple_case(admin_user, client_user, other_client_user)
    case_assign(case=case, clinician=clinician_user, actor=admin_user)
    individual = intake_start(client=client_user)
    couple = Intake.objects.create(client=client_user, case=case,
                                   questionnaire=individual.questionnaire)
    detail = "staff_intake_detail"
    lee, other = signed_in(clinician_user), signed_in(stranger)
    assert lee.get(reverse(detail, args=[couple.pk])).status_code == HTTPStatus.OK
    assert lee.get(reverse(detail, args=[individual.pk])).status_code == HTTPStatus.NOT_FOUND
    assert other.get(reverse(detail, args=[individual.pk])).status_code == HTTPStatus.OK
    assert other.get(reverse(detail, args=[couple.pk])).status_code == HTTPStatus.NOT_FOUND
    listed = lee.get(reverse("staff_intake_list")).content
    assert str(couple.pk).encode() in listed and str(individual.pk).encode() not in listed


@pytest.mark.django_db
def test_a_case_care_team_needs_staff_and_is_audited(
    admin_user: User, clinician_user: User, client_user: User,
) -> None:
    case = case_create(kind="couple", created_by=admin_user)
    with pytest.raises(Exception, match="member of staff"):
        case_assign(case=case, clinician=client_user, actor=admin_user)
    case_assign(case=case, clinician=clinician_user, actor=admin_user)
    case_assign(case=case, clinician=clinician_user, actor=admin_user)
    assert AuditEvent.objects.filter(action=Action.CASE_ASSIGNED).count() == 1


@pytest.mark.django_db
def test_the_case_exports_as_a_valid_fhir_group_with_each_guardian_a_related_person(
    admin_user: User, clinician_user: User, stranger: User,
) -> None:
    case, mum, dad, child, _links = _family(admin_user)
    case_assign(case=case, clinician=clinician_user, actor=admin_user)
    url = reverse("case_fhir", args=[case.pk])
    assert signed_in(stranger, reauthenticated=True).get(url).status_code == 404
    response = signed_in(clinician_user, reauthenticated=True).get(url)
    assert response.status_code == HTTPStatus.OK
    data = json.loads(body_bytes(response))
    bundle = Bundle.model_validate(data)
    group, *others = (entry.resource for entry in bundle.entry or [])
    assert isinstance(group, Group) and group.quantity == 3
    assert {m.entity.reference for m in group.member or []} == {
        f"Patient/{mum.pk}", f"Patient/{dad.pk}", f"Patient/{child.person_id}"}
    related = [r for r in others if isinstance(r, RelatedPerson)]
    assert len(related) == len(others) == 2
    assert sorted((r.relationship or [])[0].text or "" for r in related) == ["Father", "Mother"]
    assert {r.patient.reference for r in related} == {f"Patient/{child.person_id}"}
    assert b"Milo" not in body_bytes(response)  # no names: ids only
    [event] = AuditEvent.objects.filter(action=Action.CASE_EXPORTED)
    assert event.subject_id == child.person_id and event.detail == {"format": "fhir"}
