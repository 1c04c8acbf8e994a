"""The staff's countersignatures: the client signatures that wait for a clinician of the
care team, and countersigning one (``consents.countersign``).

Staff pages (``access_staff_pages``): the list holds only the clients the staff member may
open (``clients_visible_to``); a signature is looked up through
``consents.access.get_signature_for_staff``, so a clinician outside the care team, a
client and a made-up id get the same 404. Messages are fixed sentences.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from consents.access import get_signature_for_staff
from consents.countersign import awaiting_countersignature, consent_countersign
from consents.services import SigningError
from portal.access import clients_visible_to, permission_or_404
from portal.http import AuthenticatedHttpRequest

COUNTERSIGNED_MESSAGE = _("Countersigned. The client's consent now counts.")


@require_safe
@permission_or_404("access_staff_pages")
def consent_countersign_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signatures of the staff member's clients that wait for a clinician's
    countersignature, oldest first."""
    return render(request, "consents/staff/countersign.html", {
        "signatures": awaiting_countersignature(clients_visible_to(request.user)),
    })


@require_POST
@permission_or_404("access_staff_pages")
def consent_countersign_view(request: AuthenticatedHttpRequest, signature_id: uuid.UUID
                             ) -> HttpResponse:
    """Countersign one signature (a clinician of the client's care team only: anyone
    else who may see the client is told why not)."""
    signature = get_signature_for_staff(request.user, signature_id)
    try:
        consent_countersign(clinician=request.user, signature_id=signature.pk)
    except SigningError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, COUNTERSIGNED_MESSAGE)
    return redirect("consent_countersign_list")
