"""Builder URLs (publish): previews, the diff, publishing, and choosing per kind of intake."""

from django.urls import URLPattern, path

from intake.views import builder_publish

urlpatterns: list[URLPattern] = [
    path("drafts/<uuid:draft_id>/preview/", builder_publish.draft_preview,
         name="questionnaire_draft_preview"),
    path("drafts/<uuid:draft_id>/changes/", builder_publish.draft_diff,
         name="questionnaire_draft_diff"),
    path("drafts/<uuid:draft_id>/publish/", builder_publish.draft_publish_view,
         name="questionnaire_draft_publish"),
    path("versions/<uuid:version_id>/preview/", builder_publish.version_preview,
         name="questionnaire_version_preview"),
    path("use/", builder_publish.questionnaire_use, name="questionnaire_use"),
]
