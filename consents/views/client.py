"""The client's consent pages: what they have signed and what is outstanding, signing a
document, the record of a signature, and withdrawing it (as easy as signing: two clicks).

Every view is for clients only (``access_client_pages``; everyone else gets a 404) and
looks a signature up through ``get_own_signature``, so another client's signature is a 404
too. Flash messages (which can travel in a cookie) are fixed sentences: never a name or a
reason the client typed. POST data is hidden from error reports.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from consents.access import get_own_signature
from consents.forms import SignForm, WithdrawForm
from consents.models import (
    ConsentSignature,
    ConsentVersion,
    DocumentKind,
    Requirement,
)
from consents.rendering import render_markdown
from consents.selectors import (
    authorization_of,
    consent_rows,
    joint_requests,
    newest_or_404,
    published_version_or_404,
    signable_version_or_404,
    ward_consents,
)
from consents.services import (
    SigningError,
    VersionChanged,
    agreement_statement,
    consent_sign,
    consent_withdraw,
)
from consents.views.authorize import authorization_form_view, authorization_submit_view
from portal.access import permission_or_404
from portal.http import AuthenticatedHttpRequest

SIGNED_MESSAGE = _("Thank you. Your signature is saved. You can download a copy below.")
WITHDRAWN_MESSAGE = _("You have withdrawn your consent. You can sign again at any time.")
ALREADY_WITHDRAWN_MESSAGE = _("You had already withdrawn this consent. Nothing has changed.")
REVOKED_MESSAGE = _(
    "You have revoked this authorization. Nothing more will be shared under it.")

WITHDRAW_EFFECTS: dict[str, Any] = {
    Requirement.BEFORE_INTAKE: _(
        "This document is needed before your intake, so you won't be able to start or carry "
        "on with your intake questionnaire until you sign it again. Nothing you have already "
        "saved will be lost."
    ),
    Requirement.BEFORE_FIRST_SESSION: _(
        "This document is needed before your first session, so the practice will ask you to "
        "sign it again before you meet."
    ),
    Requirement.OPTIONAL: _(
        "This document is optional, so nothing else about your care changes."),
}
SET_WITHDRAW_EFFECT = _(
    "You signed this together with someone else (for example, your child's other "
    "guardian). Withdrawing your signature withdraws the whole consent: it stops counting "
    "for everyone, and the others who signed are told by email that something changed "
    "(the email does not say what). To put it back in place, everyone signs again."
)
REVOKE_EFFECT = _(
    "The practice will stop sharing your information under this authorization from now. "
    "Information already shared while it was in force cannot be taken back."
)


# --- Helpers ----------------------------------------------------------------------------


def _render_sign(
    request: HttpRequest,
    version: ConsentVersion,
    form: SignForm,
    *,
    error: str = "",
    changed: bool = False,
    status: int = 200,
) -> HttpResponse:
    context = {
        "version": version,
        "document": version.document,
        "body_html": render_markdown(version.body),
        "form": form,
        "statement": agreement_statement(),
        "sha256": version.sha256,
        "error": error,
        "changed": changed,
    }
    return render(request, "consents/client/sign.html", context, status=status)


def _sign_form_values(form: SignForm) -> SignForm:
    """A fresh form for the new version that keeps what the client typed but never the
    tick: agreeing to an earlier text is not agreeing to this one."""
    data = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict or dict
    data.pop("agreed", None)
    return SignForm(data=data)


# --- Views ------------------------------------------------------------------------------


@require_safe
@permission_or_404("access_client_pages")
def consent_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """"My consents": every document for the signed-in client and where they stand with
    it, read from their own signatures (and, for a young person, their guardians' for
    them); and for a guardian, each child's documents: "Signed", "Waiting for another
    guardian", "Not signed" (``ward_consents``: their own children only)."""
    return render(request, "consents/client/list.html", {
        "rows": consent_rows(request.user),
        "wards": ward_consents(request.user),
        "joint": joint_requests(request.user),
    })


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("access_client_pages")
def consent_sign_view(request: AuthenticatedHttpRequest, version_id: uuid.UUID) -> HttpResponse:
    """Read a document and sign it.

    GET shows only the current published version (a draft, an older version or an unknown
    id is a 404). POST signs as the page stood (its ``sha256``): if the document changed
    meanwhile the new version comes back (409) to be read first, with the name kept and the
    box unticked; any other refusal (400) is explained above the form, typed values kept.
    """
    if request.method in ("GET", "HEAD"):
        version = signable_version_or_404(version_id)
        if version.document.kind == DocumentKind.RELEASE_AUTHORIZATION:
            return authorization_form_view(request, version)
        return _render_sign(request, version, SignForm())

    # A superseded version is still looked up on POST, so the client learns it changed.
    version = published_version_or_404(version_id)
    if version.document.kind == DocumentKind.RELEASE_AUTHORIZATION:
        return authorization_submit_view(request, version)
    form = SignForm(data=request.POST)
    if not form.is_valid():
        return _render_sign(request, version, form,
                            error=gettext("Please check the form below."), status=400)
    representative_name, representative_authority = form.representative()
    try:
        signature = consent_sign(
            client=request.user,
            version_id=version.pk,
            expected_sha256=form.cleaned_data["sha256"],
            typed_name=form.cleaned_data["typed_name"],
            agreed=form.cleaned_data["agreed"],
            representative_name=representative_name,
            representative_authority=representative_authority,
        )
    except VersionChanged as changed:
        return _render_sign(request, newest_or_404(version), _sign_form_values(form),
                            error=str(changed), changed=True, status=409)
    except SigningError as refused:
        return _render_sign(request, version, form, error=str(refused), status=400)
    messages.success(request, SIGNED_MESSAGE)
    return redirect("consent_signed", signature.id)


@require_safe
@permission_or_404("access_client_pages")
def consent_signed(request: AuthenticatedHttpRequest, signature_id: uuid.UUID) -> HttpResponse:
    """The record of one of the client's own signatures (anyone else's is a 404): what was
    signed, its hash and reference, when, and the name typed."""
    signature = get_own_signature(request.user, signature_id)
    return render(request, "consents/client/signed.html", {
        "signature": signature,
        "version": signature.version,
        "document": signature.version.document,
        "authorization": authorization_of(signature),
        "signer_set": signature.signer_set,
    })


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("access_client_pages")
def consent_withdraw_view(
    request: AuthenticatedHttpRequest, signature_id: uuid.UUID
) -> HttpResponse:
    """Withdraw one of the client's own signatures (anyone else's is a 404). GET asks for
    confirmation and says what withdrawing means for this document; POST withdraws, with
    an optional reason, and goes back to "My consents"."""
    signature: ConsentSignature = get_own_signature(request.user, signature_id)
    document = signature.version.document
    revoke = document.kind == DocumentKind.RELEASE_AUTHORIZATION
    form = WithdrawForm(data=request.POST) if request.method == "POST" else WithdrawForm()
    error = ""
    if request.method == "POST" and form.is_valid():
        already = not signature.is_active
        try:
            consent_withdraw(client=request.user, signature_id=signature.pk,
                             reason=form.cleaned_data["reason"])
        except SigningError as refused:
            error = str(refused)
        else:
            done = REVOKED_MESSAGE if revoke else WITHDRAWN_MESSAGE
            messages.success(request, ALREADY_WITHDRAWN_MESSAGE if already else done)
            return redirect("consent_list")
    elif request.method == "POST":
        error = gettext("Please keep the reason to 1,000 characters.")
    return render(request, "consents/client/withdraw.html", {
        "signature": signature,
        "document": document,
        "revoke": revoke,
        "authorization": authorization_of(signature) if revoke else None,
        "effect": (SET_WITHDRAW_EFFECT if signature.signer_set_id is not None
                   else REVOKE_EFFECT if revoke
                   else WITHDRAW_EFFECTS.get(document.requirement, "")),
        "form": form,
        "error": error,
    }, status=400 if error else 200)
