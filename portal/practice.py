"""The practice's settings, read once per request."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from portal.models import PracticeSettings
from portal.models.practice import DEFAULT_CRISIS_TEXT

_REQUEST_ATTR = "_portal_practice_settings"


def practice_for(request: HttpRequest) -> PracticeSettings:
    """The practice settings row, fetched at most once per request (never cached across
    requests in process memory, so every app server sees an admin's change at once).

    For the pages only, never saved: while the practice keeps the crisis text it started
    with, this copy holds that text in the page's language (a text the practice wrote
    itself is shown as written)."""
    cached = getattr(request, _REQUEST_ATTR, None)
    if cached is None:
        cached = PracticeSettings.load()
        if cached.crisis_text == DEFAULT_CRISIS_TEXT:
            # Lazy: the words are chosen when the page is drawn, in its language then.
            cached.crisis_text = gettext_lazy(DEFAULT_CRISIS_TEXT)  # type: ignore[assignment]
        setattr(request, _REQUEST_ATTR, cached)
    return cached
