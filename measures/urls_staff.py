"""The staff pages of the measures, under ``/staff/measures/``."""

from __future__ import annotations

from django.urls import URLPattern, path

from measures.views import staff

urlpatterns: list[URLPattern] = [
    path("", staff.staff_caseload, name="measures_caseload"),
    path("<uuid:client_id>/", staff.staff_trend, name="measures_staff_trend"),
    path("<uuid:client_id>/case/<uuid:case_id>/", staff.staff_case_trend,
         name="measures_staff_case_trend"),
    path("<uuid:client_id>/flags/<uuid:flag_id>/reviewed/", staff.staff_flag_reviewed,
         name="measures_flag_reviewed"),
    path("<uuid:client_id>/fhir/", staff.staff_scores_fhir, name="measures_staff_fhir"),
]
