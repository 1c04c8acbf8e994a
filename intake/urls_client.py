"""URLs of the client's intake pages (included at ``/intake/``). Only ids in paths: never
anything the client typed."""

from __future__ import annotations

from django.urls import URLPattern, path

from intake.views import cases, client

urlpatterns: list[URLPattern] = [
    path("", client.intake_home, name="intake_home"),
    path("case/<uuid:case_id>/", client.intake_case_home, name="intake_case_home"),
    path("case/<uuid:case_id>/shared/", cases.intake_shared, name="intake_shared"),
    path("<uuid:intake_id>/", client.intake_submitted, name="intake_submitted"),
    path("<uuid:intake_id>/section/<slug:section_id>/", client.intake_section,
         name="intake_section"),
    path("<uuid:intake_id>/autosave/", client.intake_autosave, name="intake_autosave"),
    path("<uuid:intake_id>/review/", client.intake_review, name="intake_review"),
    path("<uuid:intake_id>/submit/", client.intake_submit, name="intake_submit"),
]
