"""Downloads of a consent signature: the client's PDF copy of what they signed, and the
practice's PDF copy and FHIR R4 ``Consent``.

Each download is recorded (``consent.exported`` with its format) once the file is built and
before it is returned: a download that fails to build records nothing, one that is served is
always on the trail (the PDF decrypts the typed name; the FHIR resource is evidence about a
client). File names carry only the verification reference; responses are never cached.
"""

from __future__ import annotations

import json
import uuid

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from consents.access import get_own_signature, get_signature_for_staff
from consents.exports.fhir import FHIR_JSON, consent_resource
from consents.exports.pdf import signature_filename, signature_pdf
from consents.models import ConsentSignature
from portal.access import permission_or_404
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.downloads import attachment

PDF = "application/pdf"


def _pdf_response(request: HttpRequest, signature: ConsentSignature) -> HttpResponse:
    content = signature_pdf(signature)
    record_event(Action.CONSENT_EXPORTED, actor=request.user, subject=signature.client_id,
                 target=signature, detail={"format": "pdf"})
    return attachment(content, PDF, signature_filename(signature, "pdf"))


@require_safe
@permission_or_404("access_client_pages")
def consent_signature_pdf(request: HttpRequest, signature_id: uuid.UUID) -> HttpResponse:
    """The signed-in client's PDF copy of one of their own signatures (withdrawn ones
    too); 404 for anyone else's. Recorded as an export by the client."""
    return _pdf_response(request, get_own_signature(request.user, signature_id))


@require_safe
@permission_or_404("access_staff_pages")
def staff_consent_signature_pdf(request: HttpRequest, signature_id: uuid.UUID) -> HttpResponse:
    """The PDF copy for the client's care team (or a practice admin); 404 for anyone else.
    Recorded, so the client sees who downloaded it."""
    return _pdf_response(request, get_signature_for_staff(request.user, signature_id))


@require_safe
@permission_or_404("access_staff_pages")
def staff_consent_signature_fhir(request: HttpRequest,
                                 signature_id: uuid.UUID) -> HttpResponse:
    """The FHIR R4 ``Consent`` for the client's care team (or a practice admin); 404 for
    anyone else. Recorded as an export in FHIR format."""
    signature = get_signature_for_staff(request.user, signature_id)
    content = json.dumps(consent_resource(signature), ensure_ascii=False, indent=2)
    record_event(Action.CONSENT_EXPORTED, actor=request.user, subject=signature.client_id,
                 target=signature, detail={"format": "fhir"})
    return attachment(content.encode(), f"{FHIR_JSON}; charset=utf-8",
                     signature_filename(signature, "json"))
