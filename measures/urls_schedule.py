"""The care team's check-in schedules, under ``/staff/check-ins/``."""

from __future__ import annotations

from django.urls import URLPattern, path

from measures.views import schedule

urlpatterns: list[URLPattern] = [
    path("<uuid:client_id>/", schedule.staff_schedule, name="measures_staff_schedule"),
]
