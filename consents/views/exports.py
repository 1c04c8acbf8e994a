"""Downloads of a consent signature: the client's PDF copy, FHIR R4 ``Consent`` and the
exact text they signed, and the practice's PDF copy and FHIR ``Consent``.

Each copy of a signature is recorded (``consent.exported`` with its format) once the file
is built and before it is returned, whoever downloads it: a download that fails to build
records nothing, one that is served is always on the trail (the PDF decrypts the typed
name; the FHIR resource is evidence about a client). The signed text is not recorded: it is
the practice's document, the same bytes for every signer, and nothing is decrypted to serve
it. File names carry only the verification reference; responses are never cached.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from consents.access import get_own_signature, get_signature_for_staff
from consents.exports.fhir import FHIR_JSON, consent_resource
from consents.exports.pdf import signature_filename, signature_pdf
from consents.models import ConsentSignature
from consents.services import canonical_bytes
from portal.access import permission_or_404
from portal.audit.actions import Action
from portal.audit.reads import audited_read
from portal.downloads import attachment
from portal.http import AuthenticatedHttpRequest

PDF = "application/pdf"
TEXT = "text/plain; charset=utf-8"


class SignedTextMismatch(RuntimeError):
    """The version's canonical text no longer gives the SHA-256 the signature holds (the
    recipe in ``consents.services.canonical_text`` changed, or a row was altered). Serving
    it would hand the signer a file that fails their own check, so nothing is served."""


def _pdf_response(request: HttpRequest, signature: ConsentSignature) -> HttpResponse:
    content = audited_read(Action.CONSENT_EXPORTED, read=lambda: signature_pdf(signature),
                           actor=request.user, subject=signature.client_id, target=signature,
                           detail={"format": "pdf"})
    return attachment(content, PDF, signature_filename(signature, "pdf"))


@require_safe
@permission_or_404("access_client_pages")
def consent_signature_pdf(
    request: AuthenticatedHttpRequest, signature_id: uuid.UUID
) -> HttpResponse:
    """The signed-in client's PDF copy of one of their own signatures (withdrawn ones
    too); 404 for anyone else's. Recorded as an export by the client."""
    return _pdf_response(request, get_own_signature(request.user, signature_id))


@require_safe
@permission_or_404("access_staff_pages")
def staff_consent_signature_pdf(
    request: AuthenticatedHttpRequest, signature_id: uuid.UUID
) -> HttpResponse:
    """The PDF copy for the client's care team (or a practice admin); 404 for anyone else.
    Recorded, so the client sees who downloaded it."""
    return _pdf_response(request, get_signature_for_staff(request.user, signature_id))


def _fhir_response(request: HttpRequest, signature: ConsentSignature) -> HttpResponse:
    content = audited_read(
        Action.CONSENT_EXPORTED,
        read=lambda: json.dumps(consent_resource(signature), ensure_ascii=False, indent=2),
        actor=request.user, subject=signature.client_id, target=signature,
        detail={"format": "fhir"},
    )
    return attachment(content.encode(), f"{FHIR_JSON}; charset=utf-8",
                      signature_filename(signature, "json"))


@require_safe
@permission_or_404("access_client_pages")
def consent_signature_fhir(
    request: AuthenticatedHttpRequest, signature_id: uuid.UUID
) -> HttpResponse:
    """The signed-in client's FHIR R4 ``Consent`` for one of their own signatures (the same
    resource staff download); 404 for anyone else's. Recorded as an export by the client,
    like their PDF copy."""
    return _fhir_response(request, get_own_signature(request.user, signature_id))


@require_safe
@permission_or_404("access_client_pages")
def consent_signature_text(
    request: AuthenticatedHttpRequest, signature_id: uuid.UUID
) -> HttpResponse:
    """The exact bytes the signature's SHA-256 was taken over (``canonical_bytes`` of the
    version signed), as a UTF-8 text file, so the signer, or anyone they give it to, can
    run ``sha256sum`` on it and get the fingerprint on their record.

    Only the client who holds the signature gets it (withdrawn ones too); anyone else, staff
    included, gets a 404. The hash is checked before anything is sent: if the text no
    longer gives the fingerprint signed, :class:`SignedTextMismatch` is raised (a server
    error, with ids only) rather than serve a file that would fail the check. Not recorded:
    nothing is decrypted and the text is the practice's, not the client's.
    """
    signature = get_own_signature(request.user, signature_id)
    content = canonical_bytes(signature.version)
    digest = hashlib.sha256(content).hexdigest()
    if digest != signature.sha256 or digest != signature.version.sha256:
        raise SignedTextMismatch(
            f"Consent version {signature.version_id} no longer gives the SHA-256 held by "
            f"signature {signature.id}."
        )
    return attachment(content, TEXT, signature_filename(signature, "txt"))


@require_safe
@permission_or_404("access_staff_pages")
def staff_consent_signature_fhir(request: AuthenticatedHttpRequest,
                                 signature_id: uuid.UUID) -> HttpResponse:
    """The FHIR R4 ``Consent`` for the client's care team (or a practice admin); 404 for
    anyone else. Recorded as an export in FHIR format."""
    return _fhir_response(request, get_signature_for_staff(request.user, signature_id))
