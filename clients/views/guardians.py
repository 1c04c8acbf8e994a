"""A guardian's own confirmation of their authority for a child in a family case.

The practice recorded the relationship and legal authority as the guardian told them;
the guardian reads it back here (sealed under the child's key, so reading it is recorded)
and confirms it in their own account before they can sign anything for the child. Only
that guardian reaches the page (``own_guardianship_or_404``); anyone else gets a 404.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from clients.case_forms import GuardianAttestForm
from clients.cases import guardianship_attest
from portal.access import own_guardianship_or_404, permission_or_404
from portal.audit.actions import Action
from portal.audit.reads import audited_read
from portal.http import AuthenticatedHttpRequest


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("access_client_pages")
def guardianship_confirm(request: AuthenticatedHttpRequest,
                         guardianship_id: uuid.UUID) -> HttpResponse:
    """GET shows what is on record (recorded as ``case.guardianship_read``); POST with the
    box ticked confirms it (``guardianship_attest``)."""
    link = own_guardianship_or_404(request.user, guardianship_id)
    stated = audited_read(Action.CASE_GUARDIANSHIP_READ,
                          read=lambda: (link.relationship, link.legal_authority),
                          actor=request.user, subject=link.child_id, target=link.case)
    form = GuardianAttestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and link.attested_at is None and form.is_valid():
        guardianship_attest(guardianship=link, by=request.user)
        messages.success(request, gettext("Thank you. You can now sign the child's consents."))
        return redirect("client_home")
    return render(request, "clients/guardianship_confirm.html", {
        "link": link, "relationship": stated[0], "legal_authority": stated[1], "form": form,
    }, status=400 if form.errors else 200)
