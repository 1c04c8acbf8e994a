"""A release of a couple's joint record, signed by both partners (``consents.joint_release``):
the practice admin's request, and each partner's signing page.

The admin's page is for ``manage_consent_documents`` on a case they may open
(``get_case_for_consent_admin``); a partner's page is for the partners asked to sign
(``get_joint_set_or_404``): anyone else, a made-up id and the other partner's own rows all
get the same 404. Flash messages are fixed sentences; POST data is hidden from error
reports.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from consents.access import get_case_for_consent_admin, get_joint_set_or_404
from consents.authorizations import (
    STATEMENT_SUBSTANCE_USE,
    IncompleteAuthorization,
    statements_for,
)
from consents.forms import AuthorizationForm
from consents.joint_release import (
    JointReleaseUnavailable,
    details_to_agree,
    joint_release_request,
    joint_release_sign,
)
from consents.models import SignerSet
from consents.rendering import render_markdown
from consents.selectors import joint_releases_of
from consents.services import SigningError, VersionChanged, agreement_statement
from portal.access import permission_or_404
from portal.http import AuthenticatedHttpRequest
from portal.models import PracticeSettings

REQUESTED_MESSAGE = _("Both partners have been asked to sign. Each was emailed that "
                      "something is waiting.")
SIGNED_MESSAGE = _("Thank you. Your signature is saved. The authorization allows a release "
                   "only once both of you have signed.")


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("manage_consent_documents")
def consent_joint_release(request: AuthenticatedHttpRequest, case_id: uuid.UUID) -> HttpResponse:
    """A couple case's releases of the joint record: each with how many partners have
    signed; POST asks both partners to sign a new one (or finds the one already open)."""
    case = get_case_for_consent_admin(request.user, case_id)
    error = ""
    if request.method == "POST":
        try:
            joint_release_request(case=case, actor=request.user)
        except JointReleaseUnavailable as unavailable:
            error = " ".join(unavailable.messages)
        else:
            messages.success(request, REQUESTED_MESSAGE)
            return redirect("consent_joint_release", case.pk)
    return render(request, "consents/staff/joint_release.html", {
        "case": case, "rows": joint_releases_of(case), "error": error,
    }, status=400 if error else 200)


def _render_sign(request: AuthenticatedHttpRequest, signer_set: SignerSet,
                 form: AuthorizationForm, *, error: str = "", status: int = 200,
                 changed: bool = False) -> HttpResponse:
    """The first partner's authorization form, or the details already signed for the
    other to read and sign (read through ``details_to_agree``, which audits the read)."""
    version = signer_set.version
    agreed = details_to_agree(signer_set, reader=request.user)
    problems = [(name, form.errors[name][0]) for name in form.errors]
    return render(request, "consents/client/joint_sign.html" if agreed
                  else "consents/client/authorize.html", {
        "version": version,
        "document": version.document,
        "body_html": render_markdown(version.body),
        "form": form,
        "statement": agreement_statement(),
        "required_statements": statements_for(includes_substance_use=False),
        "substance_use_statement": gettext(STATEMENT_SUBSTANCE_USE),
        "sha256": version.sha256,
        "error": error,
        "problems": problems,
        "changed": changed,
        "agreed_details": agreed,
        "joint": True,
        "form_action": reverse("consent_joint_sign", args=[signer_set.pk]),
    }, status=status)


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("access_client_pages")
def consent_joint_sign(request: AuthenticatedHttpRequest, signer_set_id: uuid.UUID
                       ) -> HttpResponse:
    """A partner reads and signs the couple's joint release. The first to sign fills in
    what may be shared (the ordinary authorization form); the other reads exactly that
    and signs the same. A partner who has signed goes to the record of their signature;
    a withdrawn request says so."""
    signer_set = get_joint_set_or_404(request.user, signer_set_id)
    place = signer_set.required_signers.select_related("signature").get(signer=request.user)
    if place.signature is not None and place.signature.withdrawn_at is None:
        return redirect("consent_signed", place.signature.pk)
    if signer_set.withdrawn_at is not None:
        return render(request, "consents/client/joint_withdrawn.html",
                      {"document": signer_set.version.document})
    if request.method in ("GET", "HEAD"):
        form = AuthorizationForm(initial={"discloser": PracticeSettings.load().name,
                                          "submission": uuid.uuid4()})
        return _render_sign(request, signer_set, form)
    form = AuthorizationForm(data=request.POST)
    if not form.is_valid():
        return _render_sign(request, signer_set, form,
                            error=gettext("Please check the form below."), status=400)
    try:
        signature = joint_release_sign(
            partner=request.user, signer_set_id=signer_set.pk,
            expected_sha256=form.cleaned_data["sha256"],
            typed_name=form.cleaned_data["typed_name"], agreed=form.cleaned_data["agreed"],
            submission=form.cleaned_data["submission"], details=form.details(),
        )
    except VersionChanged as changed:
        return _render_sign(request, signer_set, form, error=str(changed), changed=True,
                            status=409)
    except IncompleteAuthorization as incomplete:
        for name, message in incomplete.errors.items():
            form.add_error(name if name in form.fields else None, message)
        return _render_sign(request, signer_set, form, error=str(incomplete), status=400)
    except SigningError as refused:
        return _render_sign(request, signer_set, form, error=str(refused), status=400)
    messages.success(request, SIGNED_MESSAGE)
    return redirect("consent_signed", signature.pk)
