"""The client's consent pages, under ``/consents/``."""

from __future__ import annotations

from django.urls import URLPattern, path

from consents.views import client, guardians, joint

urlpatterns: list[URLPattern] = [
    path("", client.consent_list, name="consent_list"),
    path("<uuid:version_id>/sign/", client.consent_sign_view, name="consent_sign"),
    path("signatures/<uuid:signature_id>/", client.consent_signed, name="consent_signed"),
    path("signatures/<uuid:signature_id>/withdraw/", client.consent_withdraw_view,
         name="consent_withdraw"),
    path("children/<uuid:child_id>/<uuid:version_id>/sign/",
         guardians.consent_sign_for_child_view, name="consent_sign_for_child"),
    path("joint/<uuid:signer_set_id>/", joint.consent_joint_sign, name="consent_joint_sign"),
]
