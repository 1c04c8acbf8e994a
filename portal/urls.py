"""URL map. Every view requires sign-in unless marked ``@login_not_required``."""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from portal.views import (
    audit_views,
    client_care,
    clients,
    health,
    home,
    invitations,
    profile,
    session,
    settings_views,
)

# The Django admin is for superusers; its sign-in goes through allauth (and so through MFA).
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Portal administration"

handler500 = "portal.views.errors.server_error"

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("me/", home.client_home, name="client_home"),
    path("me/record-access/", clients.record_access, name="record_access"),
    path("me/details/", profile.client_details, name="client_details"),
    path("staff/name/", profile.staff_name, name="staff_name"),
    path("staff/", home.staff_home, name="staff_home"),
    path("staff/clients/", clients.client_list, name="client_list"),
    path("staff/clients/<uuid:client_id>/", clients.client_profile, name="client_profile"),
    path("staff/clients/<uuid:client_id>/care-team/add/", client_care.care_team_add,
         name="care_team_add"),
    path("staff/clients/<uuid:client_id>/care-team/remove/", client_care.care_team_remove,
         name="care_team_remove"),
    path("staff/clients/<uuid:client_id>/erase/", client_care.client_erase_view,
         name="client_erase"),
    path("staff/audit/", audit_views.audit_log, name="audit_log"),
    path("staff/audit/export.csv", audit_views.audit_export, name="audit_export"),
    path("staff/settings/", settings_views.practice_settings, name="practice_settings"),
    path("staff/invitations/", invitations.invitation_list, name="invitation_list"),
    path(
        "staff/invitations/<uuid:invitation_id>/resend/",
        invitations.invitation_resend_view,
        name="invitation_resend",
    ),
    path(
        "staff/invitations/<uuid:invitation_id>/revoke/",
        invitations.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", invitations.invitation_accept, name="invitation_accept"),
    path("session/status/", session.session_status, name="session_status"),
    path("session/keepalive/", session.session_keepalive, name="session_keepalive"),
    path("intake/", include("intake.urls_client")),
    path("staff/intakes/", include("intake.urls_staff")),
    path("", include("intake.urls_exports")),
    path("consents/", include("consents.urls_client")),
    path("staff/consents/", include("consents.urls_staff")),
    path("", include("consents.urls_exports")),
    path("accounts/", include("allauth.urls")),
    path("django-admin/", admin.site.urls),
]
