"""The practice's settings, read once per request."""

from __future__ import annotations

from django.http import HttpRequest

from portal.models import PracticeSettings

_REQUEST_ATTR = "_portal_practice_settings"


def practice_for(request: HttpRequest) -> PracticeSettings:
    """The practice settings row, fetched at most once per request (never cached across
    requests in process memory, so every app server sees an admin's change at once)."""
    cached = getattr(request, _REQUEST_ATTR, None)
    if cached is None:
        cached = PracticeSettings.load()
        setattr(request, _REQUEST_ATTR, cached)
    return cached
