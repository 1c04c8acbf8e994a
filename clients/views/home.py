"""Landing page and each role's home."""

from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from clients.cases import cases_of_client, has_individual_record
from consents.api import outstanding
from intake.api import intake_standing, open_alerts_for
from measures.api import check_ins_waiting
from portal.access import permission_or_404
from portal.audit.selectors import open_audit_alerts
from portal.http import AuthenticatedHttpRequest
from portal.models import Invitation
from portal.roles import Role, primary_role


@login_not_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors see the practice's welcome; signed-in people go to their home."""
    if not request.user.is_authenticated:
        return render(request, "clients/landing.html", {})
    role = primary_role(request.user)
    if role in (Role.PRACTICE_ADMIN, Role.CLINICIAN) or request.user.is_superuser:
        return redirect("staff_home")
    if role == Role.CLIENT:
        return redirect("client_home")
    # An account without a role (e.g. created in the admin and not yet placed in a group).
    return render(request, "clients/no_role.html", {}, status=403)


@require_safe
@permission_or_404("access_client_pages")
def client_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The client's home, saying where they stand now: what they still need to sign
    (required documents not signed, withdrawn, or changed materially since), where their
    intake is (not started, in progress, sent) and, for someone in a couple or family case,
    their intake there and any guardianship to confirm; once everything is signed and sent,
    that it is and what happens next. Plaintext workflow columns only: nothing is decrypted.
    """
    to_sign = outstanding(request.user)
    intake = intake_standing(request.user)
    cases = [(entry, intake_standing(request.user, entry.participant.case_id))
             for entry in cases_of_client(request.user)]
    individual = has_individual_record(request.user)
    context = {
        "individual": individual,
        "cases": cases,
        "mfa_enabled": is_mfa_enabled(request.user),
        "outstanding_consents": to_sign,
        "intake": intake,
        "check_ins_waiting": check_ins_waiting(request.user),
        # The intake waits for these (the intake pages send the client to sign them first).
        "sign_before_intake": any(
            status.blocks and status.document.requirement == "before_intake"
            for status in to_sign
        ),
        "all_done": ((intake.state == "submitted" or not individual) and not to_sign
                     and all(standing.state == "submitted" for entry, standing in cases
                             if entry.has_intake)),
    }
    return render(request, "clients/client_home.html", context)


@require_safe
@permission_or_404("access_staff_pages")
def staff_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The staff member's starting points, under the unacknowledged safety alerts among
    the intakes they may open (a clinician: their care team's; an admin: every client's),
    each a link to its intake, until someone acknowledges it. Plaintext only (the flag, the
    client's display name or login email, times): nothing is decrypted or recorded."""
    alerts = open_alerts_for(request.user)
    context: dict[str, object] = {
        "alerts": alerts,
        "intake_alerts": alerts.total,
        "audit_alerts": open_audit_alerts(request.user),
    }
    if request.user.has_perm("portal.manage_invitations"):
        context["pending_invitations"] = Invitation.objects.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).count()
    return render(request, "clients/staff_home.html", context)


