"""The staff pages of couple and family cases: the list, a new case, and one case with
its people, their guardians and its care team.

Staff open a case through ``get_case_for_staff`` (its care team, or every case for
practice admins); building one (new case, a person in, a child, a guardian) takes
``manage_invitations``, and its care team ``manage_care_teams``, like a client's. Nothing
here decrypts: people are shown by their login email or staff-given label, a child by
"child" and the date they were added (their name is on their own record, whose opening is
recorded). The side-by-side reading of the case's intakes is the intake's page.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clients.case_fhir import FHIR_JSON, case_bundle, children_of
from clients.case_forms import (
    CaseCreateForm,
    ChildAddForm,
    GuardianLinkForm,
    ParticipantInviteForm,
)
from clients.cases import (
    case_assign,
    case_create,
    case_export,
    case_participant_invite,
    case_title,
    case_unassign,
    child_add,
    guardian_link,
)
from clients.views.care_team import active_clinician
from portal.access import cases_visible_to, get_case_for_staff, permission_or_404
from portal.downloads import attachment
from portal.formatting import format_day
from portal.http import AuthenticatedHttpRequest
from portal.models import Case, CaseKind, CaseParticipant, Guardianship, ParticipantRole, User
from portal.roles import Role


@dataclass(frozen=True)
class ParticipantRow:
    participant: CaseParticipant
    label: str
    pending_email: str  # the invitation's address while it waits


def participant_label(participant: CaseParticipant) -> str:
    """How staff see a person in a case without decrypting anything: the account's
    display name or login email; a child's record by its part; an invitation waiting."""
    person = participant.person
    if person is None:
        invitation = getattr(participant, "invitation", None)
        return (gettext("Invited: %(email)s") % {"email": invitation.email}
                if invitation is not None else gettext("Invitation withdrawn"))
    if participant.role == ParticipantRole.CHILD:
        return (gettext("Child (no login), added %(day)s")
                % {"day": format_day(participant.added_at)})
    return person.display_name or person.email


def _rows(case: Case) -> list[ParticipantRow]:
    participants = case.participants.select_related("person", "invitation")
    return [ParticipantRow(p, participant_label(p),
                           getattr(getattr(p, "invitation", None), "email", ""))
            for p in participants]


@require_safe
@permission_or_404("access_staff_pages")
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The cases the staff member may open, newest first, with how many people are in
    each. Plaintext only."""
    cases = list(cases_visible_to(request.user).prefetch_related("participants")[:200])
    return render(request, "clients/case_list.html", {"cases": cases})


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("manage_invitations")
def case_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new couple or family case (audited by ``case_create``), then its page, where each
    person is invited."""
    form = CaseCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = case_create(kind=form.cleaned_data["kind"], created_by=request.user,
                           secrets_policy=form.cleaned_data["secrets_policy"])
        messages.success(request, gettext("The case was created. Now invite each person with "
                                          "their own email address."))
        return redirect("case_detail", case_id=case.pk)
    return render(request, "clients/case_new.html", {"form": form},
                  status=400 if form.errors else 200)


def _guardian_choices(rows: list[ParticipantRow]) -> tuple[
        list[CaseParticipant], list[CaseParticipant], dict[Any, str]]:
    """Who may be linked as a guardian (adults with a record) and as a child (minors with
    a record), and how each is labelled."""
    joined = [row.participant for row in rows if row.participant.person_id is not None]
    return ([p for p in joined if p.is_adult], [p for p in joined if p.is_minor],
            {row.participant.pk: row.label for row in rows})


def _forms(case: Case, rows: list[ParticipantRow], data: object = None,
           which: str = "") -> dict[str, object]:
    """The case page's forms, the one posted (``which``) bound to ``data``."""
    adults, minors, labels = _guardian_choices(rows)

    def bound(name: str) -> object:
        return data if which == name else None

    forms: dict[str, object] = {
        "invite_form": ParticipantInviteForm(bound("invite"), kind=case.kind),
    }
    if case.kind == CaseKind.FAMILY:
        forms["child_form"] = ChildAddForm(bound("child"))
        forms["guardian_form"] = GuardianLinkForm(bound("guardian"), adults=adults,
                                                  minors=minors, labels=labels)
        forms["can_link_guardian"] = bool(adults and minors)
    return forms


def _render_case(request: AuthenticatedHttpRequest, case: Case, *, which: str = "",
                 status: int = 200) -> HttpResponse:
    rows = _rows(case)
    links = list(Guardianship.objects.filter(case=case)
                 .select_related("guardian__person", "minor__person")
                 .defer("relationship", "legal_authority"))
    labels = {row.participant.pk: row.label for row in rows}
    team = [link.clinician for link in case.care_team.select_related("clinician")
            .order_by("clinician__display_name", "clinician__email")]
    manages_team = request.user.has_perm("portal.manage_care_teams")
    context: dict[str, object] = {
        "case": case,
        "case_title": case_title(case.kind),
        "rows": rows,
        "guardianships": [(labels.get(link.guardian_id, ""), labels.get(link.minor_id, ""),
                           link) for link in links],
        "care_team": team,
        "manages_team": manages_team,
        "assignable": list(User.objects.filter(groups__name=Role.CLINICIAN.value,
                                               is_active=True)
                           .exclude(pk__in=[c.pk for c in team])
                           .order_by("display_name", "email")) if manages_team else [],
        "builds_case": request.user.has_perm("portal.manage_invitations"),
        "effective_policy": (case.get_secrets_policy_display()
                             or gettext("The practice's policy")),
        "intakes_url": reverse("staff_case_intakes", args=[case.pk]),
    }
    if context["builds_case"]:
        context.update(_forms(case, rows, request.POST if which else None, which))
    return render(request, "clients/case_detail.html", context, status=status)


@require_safe
@permission_or_404("access_staff_pages")
def case_detail(request: AuthenticatedHttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """One case: its people (by account, never decrypted), guardians, care team, and for
    admins the forms that build it."""
    return _render_case(request, get_case_for_staff(request.user, case_id))


def _refused(request: AuthenticatedHttpRequest, case: Case, which: str,
             error: ValidationError | None = None) -> HttpResponse:
    for message in (error.messages if error is not None else []):
        messages.error(request, message)
    return _render_case(request, case, which=which, status=400)


@require_POST
@permission_or_404("manage_invitations")
def case_invite(request: AuthenticatedHttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Invite a person with their own account into the case (``case_participant_invite``)."""
    case = get_case_for_staff(request.user, case_id)
    form = ParticipantInviteForm(request.POST, kind=case.kind)
    if not form.is_valid():
        return _refused(request, case, "invite")
    try:
        participant = case_participant_invite(
            case=case, email=form.cleaned_data["email"], role=form.cleaned_data["role"],
            actor=request.user, request=request,
            date_of_birth=form.cleaned_data.get("date_of_birth"))
    except ValidationError as error:
        return _refused(request, case, "invite", error)
    if participant.person_id is None:
        messages.success(request, gettext("The invitation was sent. They join the case when "
                                          "they create their account."))
    else:
        messages.success(request, gettext("This person already had an account: they are now "
                                          "in the case, and were emailed to sign in."))
    return redirect("case_detail", case_id=case.pk)


@require_POST
@permission_or_404("manage_invitations")
def case_child_add(request: AuthenticatedHttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Add a child without an account of their own (``child_add``)."""
    case = get_case_for_staff(request.user, case_id)
    if case.kind != CaseKind.FAMILY:
        return _refused(request, case, "",
                        ValidationError(gettext("Only a family case has children.")))
    form = ChildAddForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, "child")
    try:
        child_add(case=case, legal_name=form.cleaned_data["legal_name"],
                  date_of_birth=form.cleaned_data["date_of_birth"], actor=request.user)
    except ValidationError as error:
        return _refused(request, case, "child", error)
    messages.success(request, gettext("The child was added. Link their guardians next."))
    return redirect("case_detail", case_id=case.pk)


@require_POST
@permission_or_404("manage_invitations")
def case_guardian_link(request: AuthenticatedHttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Link a guardian to a child of the case (``guardian_link``); the guardian confirms it
    in their own account before they can sign for the child."""
    case = get_case_for_staff(request.user, case_id)
    adults, minors, labels = _guardian_choices(_rows(case))
    form = GuardianLinkForm(request.POST, adults=adults, minors=minors, labels=labels)
    if not form.is_valid():
        return _refused(request, case, "guardian")
    by_id = {str(p.pk): p for p in adults + minors}
    try:
        guardian_link(case=case, guardian=by_id[form.cleaned_data["guardian"]],
                      minor=by_id[form.cleaned_data["minor"]],
                      relationship=form.cleaned_data["relationship"],
                      legal_authority=form.cleaned_data["legal_authority"],
                      signs_for_child=form.cleaned_data["signs_for_child"],
                      actor=request.user)
    except ValidationError as error:
        return _refused(request, case, "guardian", error)
    messages.success(request, gettext("The guardian was linked. They confirm it when they "
                                      "next sign in."))
    return redirect("case_detail", case_id=case.pk)


@require_POST
@permission_or_404("manage_care_teams")
def case_care_team_add(request: AuthenticatedHttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """Put a clinician on the case's care team (``case_assign``)."""
    case = get_case_for_staff(request.user, case_id)
    clinician = active_clinician(request.POST.get("clinician"))
    if clinician is None:
        messages.error(request, gettext("Choose a clinician from the list."))
    else:
        case_assign(case=case, clinician=clinician, actor=request.user)
        messages.success(request, gettext("%(name)s is now on this case's care team.")
                         % {"name": clinician.display_name or clinician.email})
    return redirect("case_detail", case_id=case.pk)


@require_POST
@permission_or_404("manage_care_teams")
def case_care_team_remove(request: AuthenticatedHttpRequest,
                          case_id: uuid.UUID) -> HttpResponse:
    """Take a clinician off the case's care team (``case_unassign``)."""
    case = get_case_for_staff(request.user, case_id)
    clinician = active_clinician(request.POST.get("clinician"))
    if clinician is not None:
        case_unassign(case=case, clinician=clinician, actor=request.user)
        messages.success(request, gettext("%(name)s is no longer on this case's care team.")
                         % {"name": clinician.display_name or clinician.email})
    return redirect("case_detail", case_id=case.pk)


@require_safe
@permission_or_404("access_staff_pages")
@reauthentication_required
def case_fhir(request: AuthenticatedHttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """The case as a FHIR ``Bundle`` (a ``Group`` and each guardian as a ``RelatedPerson``),
    for the care team. It carries what guardians stated about their children, so staff
    confirm their password first, and the export is recorded once per child whose details
    it holds (``case.exported``), besides once for the case."""
    case = get_case_for_staff(request.user, case_id)
    children = children_of(case)
    content = case_export(case=case, actor=request.user, children=children,
                          build=lambda: json.dumps(case_bundle(case), indent=2))
    return attachment(content.encode(), f"{FHIR_JSON}; charset=utf-8",
                      f"case-{case.reference}.json")
