"""Invitations: admins send and manage them; clients follow the link to sign up."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.access import get_invitation_for_user, permission_or_404
from portal.adapters import SESSION_INVITATION_KEY
from portal.forms import InvitationForm
from portal.http import AuthenticatedHttpRequest
from portal.i18n.languages import is_offered, remember_language
from portal.models import Invitation
from portal.services.invitations import (
    InvitationProblem,
    invitation_check,
    invitation_resend,
    invitation_revoke,
    invitation_send,
)

PROBLEM_STATUS = {
    InvitationProblem.INVALID: 400,
    InvitationProblem.EXPIRED: 410,
    InvitationProblem.USED: 410,
    InvitationProblem.REVOKED: 410,
}


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("manage_invitations")
def invitation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """All invitations with their status, newest first, and the form to send one."""
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_send(
                email=form.cleaned_data["email"], invited_by=request.user, request=request,
                language=form.cleaned_data["language"],
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("invitation_list")
    page = Paginator(Invitation.objects.select_related("invited_by"), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/invitation_list.html", {"form": form, "page": page})


@require_POST
@permission_or_404("manage_invitations")
def invitation_resend_view(request: AuthenticatedHttpRequest, invitation_id: str) -> HttpResponse:
    invitation = get_invitation_for_user(request.user, invitation_id)
    try:
        invitation_resend(invitation=invitation, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("A new link was sent. Earlier links no longer work."))
    return redirect("invitation_list")


@require_POST
@permission_or_404("manage_invitations")
def invitation_revoke_view(request: AuthenticatedHttpRequest, invitation_id: str) -> HttpResponse:
    invitation = get_invitation_for_user(request.user, invitation_id)
    try:
        invitation_revoke(invitation=invitation, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Invitation revoked. Its link no longer works."))
    return redirect("invitation_list")


@login_not_required
@never_cache
@require_safe
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Check the link; if it is good, remember it in the session and go to sign-up with
    the address already verified (the link proves it). Bad links get a plain page.

    An invitation in a language other than the practice's default shows the sign-up page
    in it when this browser has not chosen one yet (the language cookie is set to it); the
    language button still changes it, and the account keeps whichever was chosen last
    (``portal.adapters.signup_language``)."""
    check = invitation_check(token)
    if not check.ok:
        assert check.problem is not None  # noqa: S101 - narrowing for the type checker
        return render(
            request,
            "portal/invitation_problem.html",
            {"problem": check.problem.value},
            status=PROBLEM_STATUS[check.problem],
        )
    if request.user.is_authenticated:
        return render(request, "portal/invitation_signed_in.html", {}, status=409)
    assert check.invitation is not None  # noqa: S101
    request.session[SESSION_INVITATION_KEY] = str(check.invitation.id)
    # allauth marks this address verified at sign-up instead of mailing a confirmation.
    get_adapter(request).stash_verified_email(request, check.invitation.email)
    response = redirect("account_signup")
    language = check.invitation.language
    if (is_offered(language) and language != settings.LANGUAGE_CODE
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES):
        remember_language(response, language)
    return response
