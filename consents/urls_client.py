"""URLs of the consent pages (filled in by the consent pages)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
