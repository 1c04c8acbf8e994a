"""URLs of the consent downloads, included at the site root (the client's copies live under
``consents/``, the practice's under ``staff/consents/``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from consents.views import exports

urlpatterns: list[URLPattern] = [
    path("consents/signatures/<uuid:signature_id>/copy.pdf", exports.consent_signature_pdf,
         name="consent_signature_pdf"),
    path("consents/signatures/<uuid:signature_id>/consent.json",
         exports.consent_signature_fhir, name="consent_signature_fhir"),
    path("consents/signatures/<uuid:signature_id>/signed-text.txt",
         exports.consent_signature_text, name="consent_signature_text"),
    path("staff/consents/signatures/<uuid:signature_id>/copy.pdf",
         exports.staff_consent_signature_pdf, name="staff_consent_signature_pdf"),
    path("staff/consents/signatures/<uuid:signature_id>/consent.json",
         exports.staff_consent_signature_fhir, name="staff_consent_signature_fhir"),
]
