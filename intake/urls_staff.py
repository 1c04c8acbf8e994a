"""Staff review of intakes, under ``/staff/intakes/``."""

from __future__ import annotations

from django.urls import URLPattern, path

from intake.views import cases, staff

urlpatterns: list[URLPattern] = [
    path("", staff.staff_intake_list, name="staff_intake_list"),
    path("<uuid:intake_id>/", staff.staff_intake_detail, name="staff_intake_detail"),
    path("<uuid:intake_id>/acknowledge/", staff.staff_intake_acknowledge,
         name="staff_intake_acknowledge"),
    path("case/<uuid:case_id>/", cases.staff_case_intakes, name="staff_case_intakes"),
    path("<uuid:intake_id>/reviewed/", staff.staff_intake_mark_reviewed,
         name="staff_intake_mark_reviewed"),
]
