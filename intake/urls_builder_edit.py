"""Builder URLs (edit): the list of questionnaires and a draft's editing pages."""

from django.urls import URLPattern, path

from intake.views import builder_edit

urlpatterns: list[URLPattern] = [
    path("", builder_edit.questionnaire_list, name="questionnaire_list"),
    path("versions/<uuid:version_id>/draft/", builder_edit.builder_draft_start,
         name="builder_draft_start"),
    path("drafts/<uuid:draft_id>/", builder_edit.builder_draft, name="builder_draft"),
    path("drafts/<uuid:draft_id>/texts/", builder_edit.builder_draft_texts,
         name="builder_draft_texts"),
    path("drafts/<uuid:draft_id>/change/", builder_edit.builder_draft_change,
         name="builder_draft_change"),
    path("drafts/<uuid:draft_id>/sections/<slug:section_id>/",
         builder_edit.builder_section_edit, name="builder_section_edit"),
    path("drafts/<uuid:draft_id>/questions/<slug:question_id>/",
         builder_edit.builder_question_edit, name="builder_question_edit"),
]
