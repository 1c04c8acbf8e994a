"""The client pages' addresses (included at the site's root by ``portal.urls``)."""

from __future__ import annotations

from django.urls import path

from clients.views import care_team, cases, details, guardians, home, records

urlpatterns = [
    path("", home.home, name="home"),
    path("me/", home.client_home, name="client_home"),
    path("me/details/", details.client_details, name="client_details"),
    path("me/guardianships/<uuid:guardianship_id>/confirm/", guardians.guardianship_confirm,
         name="guardianship_confirm"),
    path("staff/", home.staff_home, name="staff_home"),
    path("staff/clients/", records.client_list, name="client_list"),
    path("staff/clients/<uuid:client_id>/", records.client_profile, name="client_profile"),
    path("staff/clients/<uuid:client_id>/care-team/add/", care_team.care_team_add,
         name="care_team_add"),
    path("staff/clients/<uuid:client_id>/care-team/remove/", care_team.care_team_remove,
         name="care_team_remove"),
    path("staff/clients/<uuid:client_id>/erase/", care_team.client_erase_view,
         name="client_erase"),
    path("staff/cases/", cases.case_list, name="case_list"),
    path("staff/cases/new/", cases.case_new, name="case_new"),
    path("staff/cases/<uuid:case_id>/", cases.case_detail, name="case_detail"),
    path("staff/cases/<uuid:case_id>/fhir/", cases.case_fhir, name="case_fhir"),
    path("staff/cases/<uuid:case_id>/invite/", cases.case_invite, name="case_invite"),
    path("staff/cases/<uuid:case_id>/child/", cases.case_child_add, name="case_child_add"),
    path("staff/cases/<uuid:case_id>/guardian/", cases.case_guardian_link,
         name="case_guardian_link"),
    path("staff/cases/<uuid:case_id>/care-team/add/", cases.case_care_team_add,
         name="case_care_team_add"),
    path("staff/cases/<uuid:case_id>/care-team/remove/", cases.case_care_team_remove,
         name="case_care_team_remove"),
]
