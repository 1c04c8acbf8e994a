"""URL map. Every view requires sign-in unless marked ``@login_not_required``."""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.decorators.http import require_safe
from django.views.i18n import JavaScriptCatalog

from portal.i18n.views import choose_language
from portal.views import (
    audit_views,
    health,
    invitations,
    outgoing,
    record_access,
    session,
    settings_views,
    staff_name,
)

# The Django admin is for superusers; its sign-in goes through allauth (and so through MFA).
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Portal administration"

handler500 = "portal.views.errors.server_error"

urlpatterns = [
    path("", include("clients.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("language/", choose_language, name="choose_language"),
    # The words of our scripts, in the page's language: served from here under the CSP.
    path("jsi18n/", login_not_required(require_safe(JavaScriptCatalog.as_view())),
         name="javascript_catalog"),
    path("healthz/queue", health.healthz_queue, name="healthz_queue"),
    path("me/record-access/", record_access.record_access, name="record_access"),
    path("staff/name/", staff_name.staff_name, name="staff_name"),
    path("staff/audit/", audit_views.audit_log, name="audit_log"),
    path("staff/audit/export.csv", audit_views.audit_export, name="audit_export"),
    path("staff/settings/", settings_views.practice_settings, name="practice_settings"),
    # Outgoing messages (issue 16): emails given up, and sending them again.
    path("staff/outgoing/", outgoing.outgoing_messages, name="outgoing_messages"),
    path("staff/outgoing/<uuid:message_id>/retry/", outgoing.outgoing_message_retry,
         name="outgoing_message_retry"),
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
    path("staff/alerts/", include("intake.urls_alerts")),
    path("", include("intake.urls_exports")),
    path("check-ins/", include("measures.urls_client")),
    path("staff/check-ins/", include("measures.urls_schedule")),
    path("consents/", include("consents.urls_client")),
    path("staff/consents/", include("consents.urls_staff")),
    path("staff/questionnaires/", include("intake.urls_builder")),
    path("", include("consents.urls_exports")),
    path("staff/measures/", include("measures.urls_staff")),
    path("progress/", include("measures.urls_progress")),
    path("accounts/", include("allauth.urls")),
    path("django-admin/", admin.site.urls),
]
