"""Couple and family cases: create one, bring each person in with their own invitation
and account, add a child who has no account, link guardians, and give the case its care
team.

Each service is one transaction that records its audit event last: the case is the
event's target, the person concerned its subject; roles and kinds are the only detail,
never a name. Callers check permissions first (``manage_invitations`` to build cases,
``manage_care_teams`` for the care team); the guardian's own attestation is checked here,
because only the guardian themself may make it.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from intake.api import has_individual_intake
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.mail import notify
from portal.models import (
    CareAssignment,
    Case,
    CaseCareAssignment,
    CaseKind,
    CaseParticipant,
    ClientProfile,
    Guardianship,
    Invitation,
    ParticipantRole,
    PracticeSettings,
    User,
)
from portal.models.outbox import RecipientRole
from portal.roles import Role, grant_role, roles_of
from portal.services.invitations import invitation_send

# Which roles each kind of case takes.
ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    CaseKind.COUPLE: (ParticipantRole.PARTNER,),
    CaseKind.FAMILY: (ParticipantRole.ADULT, ParticipantRole.ADOLESCENT,
                      ParticipantRole.CHILD),
}
# The address of a record that cannot sign in: the reserved ``.invalid`` domain (RFC 2606),
# which no mail server delivers to and the mail seam refuses.
NO_LOGIN_DOMAIN = "records.invalid"


def case_title(kind: str) -> str:
    """A case's kind as a whole phrase, "Couple case" or "Family case", in the language of
    the page (never the kind's label glued to the word "case": word order differs)."""
    return gettext("Couple case") if kind == CaseKind.COUPLE else gettext("Family case")


def age_on(date_of_birth: datetime.date, day: datetime.date) -> int:
    """Whole years between a birth date and ``day``."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - int(before_birthday)


@transaction.atomic
def case_create(*, kind: str, created_by: User, secrets_policy: str = "") -> Case:
    """A new, empty couple or family case; ``secrets_policy`` blank follows the
    practice's. Records ``case.created``."""
    case = Case(kind=kind, secrets_policy=secrets_policy, created_by=created_by)
    case.full_clean()
    case.save()
    record_event(Action.CASE_CREATED, actor=created_by, target=case, detail={"kind": kind})
    return case


def _check_role(case: Case, role: str) -> None:
    if role not in ROLES_BY_KIND[case.kind]:
        raise ValidationError(gettext("A couple case has no place for this role.")
                              if case.kind == CaseKind.COUPLE
                              else gettext("A family case has no place for this role."))


def _check_adolescent_age(date_of_birth: datetime.date | None) -> None:
    """An adolescent may have their own account only from the practice's age."""
    if date_of_birth is None:
        raise ValidationError(gettext("Give the young person's date of birth."))
    minimum = PracticeSettings.load().adolescent_account_age
    age = age_on(date_of_birth, timezone.localdate())
    if age < minimum:
        raise ValidationError(
            gettext("The practice gives young people their own account from age %(age)s. "
                    "Add them as a child instead; their guardians sign for them.")
            % {"age": minimum})
    if age >= 18:
        raise ValidationError(gettext("This person is an adult: add them as an adult."))


@transaction.atomic
def case_participant_invite(
    *, case: Case, email: str, role: str, actor: User, request: HttpRequest | None = None,
    date_of_birth: datetime.date | None = None,
) -> CaseParticipant:
    """Bring a person with their own account into ``case``: a new person gets their own
    invitation (accepting it creates their account and puts it here); a client who already
    has an account (say, in individual therapy) is added at once and emailed that
    something is waiting (no content), keeping their individual record separate.

    Refuses staff accounts, a person already in the case, a role the case's kind has no
    place for, and an adolescent younger than the practice's age (``date_of_birth`` as the
    admin was told it; checked, not stored). Records ``case.participant_added``.
    """
    _check_role(case, role)
    if role == ParticipantRole.CHILD:
        raise ValidationError(gettext("A child without an account is added with their name "
                                      "and date of birth, not an email address."))
    if role == ParticipantRole.ADOLESCENT:
        _check_adolescent_age(date_of_birth)
    email = email.strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    participant = CaseParticipant(case=case, role=role)
    if existing is not None:
        if roles_of(existing) != {Role.CLIENT} or not existing.is_active:
            raise ValidationError(gettext("This address belongs to an account that cannot "
                                          "join a case. Use the person's own address."))
        if case.participants.filter(person=existing).exists():
            raise ValidationError(gettext("This person is already in the case."))
        participant.person = existing
        participant.full_clean()
        participant.save()
        notify(existing.email, template="clients/email/added_to_case",
               context={"practice": PracticeSettings.load()}, role=RecipientRole.CLIENT,
               about=existing)
    else:
        participant.full_clean()
        participant.save()
        invitation_send(email=email, invited_by=actor, request=request,
                        participant=participant)
    record_event(Action.CASE_PARTICIPANT_ADDED, actor=actor, subject=participant.person,
                 target=case, detail={"role": role, "invited": existing is None})
    return participant


@transaction.atomic
def child_add(*, case: Case, legal_name: str, date_of_birth: datetime.date,
              actor: User) -> CaseParticipant:
    """A child in a family case who has no account of their own: a client record that
    cannot sign in (no usable password, and an address under the reserved ``.invalid``
    domain, so no reset link or sign-in code can reach anyone), with their name and date of
    birth sealed under their own data key: what is about them is theirs and is shredded
    with them. Their guardians act for them (``guardian_link``). Records
    ``case.participant_added``."""
    _check_role(case, ParticipantRole.CHILD)
    legal_name = " ".join(legal_name.split())
    if not legal_name:
        raise ValidationError(gettext("Give the child's name."))
    if date_of_birth > timezone.localdate():
        raise ValidationError(gettext("A date of birth cannot be in the future."))
    if age_on(date_of_birth, timezone.localdate()) >= 18:
        raise ValidationError(gettext("This person is an adult: add them as an adult."))
    child = User.objects.create_user(f"child-{uuid.uuid4().hex}@{NO_LOGIN_DOMAIN}",
                                     password=None)
    grant_role(child, Role.CLIENT)
    ClientProfile.objects.create(user=child, legal_name=legal_name,
                                 date_of_birth=date_of_birth)
    participant = CaseParticipant.objects.create(case=case, person=child,
                                                 role=ParticipantRole.CHILD)
    record_event(Action.CASE_PARTICIPANT_ADDED, actor=actor, subject=child, target=case,
                 detail={"role": ParticipantRole.CHILD, "invited": False})
    return participant


@transaction.atomic
def guardian_link(
    *, case: Case, guardian: CaseParticipant, minor: CaseParticipant, relationship: str,
    legal_authority: str, signs_for_child: bool, actor: User,
) -> Guardianship:
    """Record that ``guardian`` (an adult of the case) is a guardian of ``minor`` (a
    child or adolescent of it), with the relationship and legal authority as the guardian
    told the practice, sealed under the child's key. Whether the practice needs this
    guardian's signature (``signs_for_child``: under joint custody, every such guardian
    signs before a consent for the child counts). The guardian still attests it
    themself (``guardianship_attest``) before they can sign for the child. Records
    ``case.guardian_linked``."""
    relationship = " ".join(relationship.split())
    legal_authority = " ".join(legal_authority.split())
    if not relationship or not legal_authority:
        raise ValidationError(gettext("Give the relationship and the legal authority."))
    if minor.person_id is None:
        raise ValidationError(gettext("The child's record must exist before a guardian is "
                                      "added."))
    link = Guardianship(case=case, guardian=guardian, minor=minor, child_id=minor.person_id,
                        relationship=relationship, legal_authority=legal_authority,
                        signs_for_child=signs_for_child)
    link.clean()
    if Guardianship.objects.filter(guardian=guardian, minor=minor).exists():
        raise ValidationError(gettext("This guardian is already linked to this child."))
    link.save()
    record_event(Action.CASE_GUARDIAN_LINKED, actor=actor, subject=minor.person_id,
                 target=case)
    return link


@transaction.atomic
def guardianship_attest(*, guardianship: Guardianship, by: User) -> Guardianship:
    """The guardian confirms, in their own account, that the relationship and authority on
    record are true and that they may consent for the child. Only that guardian may:
    anyone else is refused. A second attestation changes nothing. Records
    ``case.guardian_attested`` (the child is the subject)."""
    link = Guardianship.objects.select_for_update().select_related("guardian").get(
        pk=guardianship.pk)
    if link.guardian.person_id != by.pk:
        raise ValidationError(gettext("Only the guardian may confirm this."))
    if link.attested_at is None:
        link.attested_at = timezone.now()
        link.save(update_fields=["attested_at"])
        record_event(Action.CASE_GUARDIAN_ATTESTED, actor=by, subject=link.child_id,
                     target=link.case)
    return link


@transaction.atomic
def case_assign(*, case: Case, clinician: User, actor: User) -> CaseCareAssignment:
    """Put ``clinician`` on the case's care team (a second time changes nothing). Only a
    member of staff may be; records ``case.assigned``."""
    if not clinician.has_perm("portal.access_staff_pages") or not clinician.is_active:
        raise ValidationError(gettext("Only an active member of staff can join a care team."))
    link, created = CaseCareAssignment.objects.get_or_create(case=case, clinician=clinician)
    if created:
        record_event(Action.CASE_ASSIGNED, actor=actor, target=case,
                     detail=None)
    return link


@transaction.atomic
def case_unassign(*, case: Case, clinician: User, actor: User) -> None:
    """Take ``clinician`` off the case's care team; records ``case.unassigned`` when they
    were on it."""
    deleted, _ = CaseCareAssignment.objects.filter(case=case, clinician=clinician).delete()
    if deleted:
        record_event(Action.CASE_UNASSIGNED, actor=actor, target=case)


def has_individual_record(client: User) -> bool:
    """Whether ``client`` is seen on their own too (their individual intake is theirs to
    fill in): anyone in no couple or family case; anyone invited as an individual client;
    anyone with a clinician on their own care team or an individual intake already. Someone
    who came only for a couple or family case is not asked for a second, individual
    intake."""
    if not CaseParticipant.objects.filter(person=client).exists():
        return True
    invited_alone = Invitation.objects.filter(accepted_by=client,
                                              participant__isnull=True).exists()
    return (invited_alone or CareAssignment.objects.filter(client=client).exists()
            or has_individual_intake(client))


@dataclass(frozen=True)
class ClientCase:
    """A case the client is in, as their home page lists it."""

    participant: CaseParticipant
    has_intake: bool  # their part has an intake of its own (not a child's record)
    to_confirm: list[Guardianship]  # guardianships waiting for their confirmation


def cases_of_client(client: User) -> list[ClientCase]:
    """The couple and family cases ``client`` is in with their own account, oldest first,
    each with the guardianships they have yet to confirm. Plaintext columns only."""
    mine = list(CaseParticipant.objects.filter(person=client).select_related("case")
                .order_by("added_at", "id"))
    waiting = Guardianship.objects.filter(guardian__in=mine, attested_at__isnull=True
                                          ).defer("relationship", "legal_authority")
    by_guardian: dict[uuid.UUID, list[Guardianship]] = {}
    for link in waiting:
        by_guardian.setdefault(link.guardian_id, []).append(link)
    return [ClientCase(p, p.role != ParticipantRole.CHILD, by_guardian.get(p.pk, []))
            for p in mine]


def case_export(*, case: Case, actor: User, children: list[Any],
                build: Callable[[], str]) -> str:
    """Build a case export (``build`` decrypts what guardians stated about ``children``)
    and record it: ``case.exported`` once per child whose details it holds, so each
    child's record shows the export, and once for the case. Nothing is recorded if the
    build fails."""
    content = build()
    with transaction.atomic():
        for child_id in children:
            record_event(Action.CASE_EXPORTED, actor=actor, subject=child_id, target=case,
                         detail={"format": "fhir"})
        if not children:
            record_event(Action.CASE_EXPORTED, actor=actor, target=case,
                         detail={"format": "fhir"})
    return content
