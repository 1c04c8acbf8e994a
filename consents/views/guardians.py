"""A guardian signing for their child: reading a document the child needs and signing it
as one of the guardians the practice requires (``consents.signer_sets``).

Client pages (``access_client_pages``); the child is looked up through
``consents.access.get_ward_or_404``, so anyone but the child's own guardian, another
guardian's child and a made-up id all get the same 404. A document guardians do not sign
for a child is a 404 too. POST data is hidden from error reports; flash messages are
fixed sentences.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from consents.access import get_ward_or_404
from consents.forms import SignForm
from consents.models import ConsentVersion
from consents.rendering import render_markdown
from consents.selectors import (
    guardians_sign_for,
    newest_or_404,
    published_version_or_404,
    signable_version_or_404,
)
from consents.services import SigningError, VersionChanged, agreement_statement
from consents.signer_sets import consent_sign_for_child
from portal.access import permission_or_404
from portal.http import AuthenticatedHttpRequest
from portal.models import Guardianship

SIGNED_FOR_CHILD_MESSAGE = _(
    "Thank you. Your signature for your child is saved. If the practice needs another "
    "guardian's signature too, the consent counts once they have signed."
)
NOT_ATTESTED = _(
    "Before you can sign for your child, please confirm that you are their guardian and "
    "may consent for them. The practice will show you how."
)
NOT_REQUIRED = _("The practice has not asked you to sign for this child.")


def _render(request: AuthenticatedHttpRequest, link: Guardianship, version: ConsentVersion,
            form: SignForm, *, error: str = "", changed: bool = False,
            status: int = 200) -> HttpResponse:
    blocked = ("" if link.signs_for_child else NOT_REQUIRED) if link.attested_at else \
        NOT_ATTESTED
    return render(request, "consents/client/sign.html", {
        "version": version,
        "document": version.document,
        "body_html": render_markdown(version.body),
        "form": form,
        "statement": agreement_statement(),
        "sha256": version.sha256,
        "error": error,
        "changed": changed,
        "for_child": True,
        "blocked": blocked,
        "form_action": reverse("consent_sign_for_child", args=[link.child_id, version.pk]),
    }, status=status)


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("access_client_pages")
def consent_sign_for_child_view(
    request: AuthenticatedHttpRequest, child_id: uuid.UUID, version_id: uuid.UUID
) -> HttpResponse:
    """Read a document the child needs and sign it for them, in the guardian's own name.

    GET shows the current published version (a draft, an older version, an unknown id or a
    document guardians do not sign for a child is a 404); a guardian who has not attested
    or whose signature the practice does not require is told so instead of the form. POST
    signs as the page stood (its ``sha256``): a document changed meanwhile comes back
    (409) to read first; any other refusal (400) is explained above the form."""
    link = get_ward_or_404(request.user, child_id)
    if request.method in ("GET", "HEAD"):
        version = signable_version_or_404(version_id)
    else:
        version = published_version_or_404(version_id)
    if not guardians_sign_for(link.child_id, version.document.kind):
        raise Http404
    if request.method in ("GET", "HEAD"):
        return _render(request, link, version, SignForm())
    form = SignForm(data=request.POST)
    if not form.is_valid():
        return _render(request, link, version, form,
                       error=gettext("Please check the form below."), status=400)
    try:
        consent_sign_for_child(
            guardian=request.user, child_id=link.child_id, version_id=version.pk,
            expected_sha256=form.cleaned_data["sha256"],
            typed_name=form.cleaned_data["typed_name"], agreed=form.cleaned_data["agreed"],
        )
    except VersionChanged as changed:
        data = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict
        data.pop("agreed", None)
        return _render(request, link, newest_or_404(version), SignForm(data=data),
                       error=str(changed), changed=True, status=409)
    except SigningError as refused:
        return _render(request, link, version, form, error=str(refused), status=400)
    messages.success(request, SIGNED_FOR_CHILD_MESSAGE)
    return redirect(f"{reverse('consent_list')}#children")
