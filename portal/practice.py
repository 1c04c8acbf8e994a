"""The practice's settings, read once per request from a copy shared by every app server.

Every request needs the settings (the idle timeout, the practice's name and crisis text), so
reading the row each time cost a query on every page. The row is kept instead in the shared
cache (Redis in production, which every app server reads), and every write to the row
replaces the copy with a short *tombstone*: the write's own request and every request after
it read the database again, and while the tombstone lives nobody puts a copy back, so a
request that read the old row just before the write committed cannot re-publish it. The
next request after the tombstone expires publishes the new row. An admin's change is
therefore seen everywhere at once. Only if the cache fails during a write can an old copy
outlive it, and then for at most ``SHARED_SECONDS``.

When the cache cannot be reached the row is read from the database, as before.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.http import HttpRequest

from portal.models import PracticeSettings
from portal.models.practice import SHARED_KEY, SHARED_SECONDS

logger = logging.getLogger(__name__)

_REQUEST_ATTR = "_portal_practice_settings"
__all__ = ["SHARED_KEY", "practice_for", "shared_practice"]


def practice_for(request: HttpRequest) -> PracticeSettings:
    """The practice settings, fetched at most once per request (``shared_practice``)."""
    cached = getattr(request, _REQUEST_ATTR, None)
    if cached is None:
        cached = shared_practice()
        setattr(request, _REQUEST_ATTR, cached)
    return cached


def shared_practice() -> PracticeSettings:
    """The settings row from the shared copy, or from the database (publishing it when no
    write is under way: see the module docstring)."""
    try:
        shared = cache.get(SHARED_KEY)
    except Exception:  # the cache is down: the database answers
        logger.warning("Practice settings read from the database: the cache did not answer.")
        return PracticeSettings.load()
    if isinstance(shared, PracticeSettings):
        return shared
    row = PracticeSettings.load()
    if shared is None:
        try:
            cache.add(SHARED_KEY, row, SHARED_SECONDS)  # never over a tombstone
        except Exception:
            logger.warning("Practice settings not shared: the cache did not answer.")
    return row
