"""Builder URLs (fhir): a published version as a FHIR R4 Questionnaire, and importing one
as a new draft."""

from django.urls import URLPattern, path

from intake.views import builder_fhir

urlpatterns: list[URLPattern] = [
    path("versions/<uuid:version_id>/fhir/", builder_fhir.questionnaire_fhir_download,
         name="questionnaire_fhir_download"),
    path("import/", builder_fhir.questionnaire_fhir_import, name="questionnaire_fhir_import"),
]
