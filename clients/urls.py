"""The client pages' addresses (included at the site's root by ``portal.urls``)."""

from __future__ import annotations

from django.urls import path

from clients.views import care_team, details, home, records

urlpatterns = [
    path("", home.home, name="home"),
    path("me/", home.client_home, name="client_home"),
    path("me/details/", details.client_details, name="client_details"),
    path("staff/", home.staff_home, name="staff_home"),
    path("staff/clients/", records.client_list, name="client_list"),
    path("staff/clients/<uuid:client_id>/", records.client_profile, name="client_profile"),
    path("staff/clients/<uuid:client_id>/care-team/add/", care_team.care_team_add,
         name="care_team_add"),
    path("staff/clients/<uuid:client_id>/care-team/remove/", care_team.care_team_remove,
         name="care_team_remove"),
    path("staff/clients/<uuid:client_id>/erase/", care_team.client_erase_view,
         name="client_erase"),
]
