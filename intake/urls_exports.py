"""URLs of the intake downloads (included at the site root): the client's copies under
``intake/``, the care team's under ``staff/intakes/``."""

from __future__ import annotations

from django.urls import URLPattern, path

from intake.views import exports

urlpatterns: list[URLPattern] = [
    path("intake/<uuid:intake_id>/copy.pdf", exports.intake_pdf_view, name="intake_pdf"),
    path("intake/<uuid:intake_id>/questionnaire-response.json", exports.intake_fhir_view,
         name="intake_fhir"),
    path("staff/intakes/<uuid:intake_id>/intake.pdf", exports.staff_intake_pdf,
         name="staff_intake_pdf"),
    path("staff/intakes/<uuid:intake_id>/questionnaire-response.json",
         exports.staff_intake_fhir, name="staff_intake_fhir"),
]
