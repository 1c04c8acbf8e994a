"""The client's check-ins, under ``/check-ins/``."""

from __future__ import annotations

from django.urls import URLPattern, path

from measures.views import client

urlpatterns: list[URLPattern] = [
    path("", client.check_in_list, name="measures_check_ins"),
    path("reminders/<uuid:schedule_id>/", client.check_in_reminders,
         name="measures_check_in_reminders"),
    path("<uuid:check_in_id>/", client.check_in_start, name="measures_check_in"),
    path("<uuid:check_in_id>/autosave/", client.check_in_autosave,
         name="measures_check_in_autosave"),
    path("<uuid:check_in_id>/review/", client.check_in_review, name="measures_check_in_review"),
    path("<uuid:check_in_id>/send/", client.check_in_send, name="measures_check_in_send"),
    path("<uuid:check_in_id>/thanks/", client.check_in_thanks, name="measures_check_in_thanks"),
    path("<uuid:check_in_id>/<slug:instrument>/", client.check_in_page,
         name="measures_check_in_page"),
]
