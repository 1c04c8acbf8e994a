"""The practice admin's consent pages, under ``/staff/consents/``."""

from __future__ import annotations

from django.urls import URLPattern, path

from consents.views import countersign, joint, staff

urlpatterns: list[URLPattern] = [
    path("", staff.consent_dashboard, name="consent_dashboard"),
    path("outstanding/", staff.consent_outstanding, name="consent_outstanding"),
    path("remind/", staff.consent_remind, name="consent_remind"),
    path("clients/<uuid:client_id>/", staff.consent_client_timeline,
         name="consent_client_timeline"),
    path("register.csv", staff.consent_register_csv, name="consent_register_csv"),
    path("documents/<uuid:document_id>/requirement/", staff.consent_document_requirement,
         name="consent_document_requirement"),
    path("documents/<uuid:document_id>/versions/new/", staff.consent_version_new,
         name="consent_version_new"),
    path("versions/<uuid:version_id>/", staff.consent_version_preview,
         name="consent_version_preview"),
    path("versions/<uuid:version_id>/edit/", staff.consent_version_edit,
         name="consent_version_edit"),
    path("versions/<uuid:version_id>/publish/", staff.consent_version_publish,
         name="consent_version_publish"),
    path("cases/<uuid:case_id>/joint-release/", joint.consent_joint_release,
         name="consent_joint_release"),
    path("countersign/", countersign.consent_countersign_list,
         name="consent_countersign_list"),
    path("signatures/<uuid:signature_id>/countersign/", countersign.consent_countersign_view,
         name="consent_countersign"),
]
