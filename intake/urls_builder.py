"""The questionnaire builder's pages, under /staff/questionnaires/ (practice admins with
``manage_questionnaires``; everyone else gets a 404)."""

from django.urls import include, path

urlpatterns = [
    path("", include("intake.urls_builder_edit")),
    path("", include("intake.urls_builder_publish")),
    path("", include("intake.urls_builder_fhir")),
]
