"""The client's own progress, under ``/progress/``."""

from __future__ import annotations

from django.urls import URLPattern, path

from measures.views import progress

urlpatterns: list[URLPattern] = [
    path("", progress.progress, name="measures_progress"),
    path("copy.pdf", progress.progress_pdf, name="measures_progress_pdf"),
]
