"""The questionnaire builder's pages, under /staff/questionnaires/ (practice admins with
``manage_questionnaires``; everyone else gets a 404)."""

from django.urls import include, path

urlpatterns = [
    path("", include("intake.builder.urls_edit")),
    path("", include("intake.builder.urls_publish")),
    path("", include("intake.builder.urls_fhir")),
]
