"""Safety alerts raised outside an intake (a check-in's), under ``/staff/alerts/``."""

from __future__ import annotations

from django.urls import URLPattern, path

from intake.views import alerts

urlpatterns: list[URLPattern] = [
    path("<uuid:alert_id>/", alerts.staff_alert_detail, name="staff_alert_detail"),
    path("<uuid:alert_id>/acknowledge/", alerts.staff_alert_acknowledge,
         name="staff_alert_acknowledge"),
]
