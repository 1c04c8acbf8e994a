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
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest

from portal.models import PracticeSettings

logger = logging.getLogger(__name__)

_REQUEST_ATTR = "_portal_practice_settings"
# Names no one: the practice's settings, the same for every visitor.
SHARED_KEY = "portal:practice-settings:v1"
SHARED_SECONDS = 60
TOMBSTONE = "written"
TOMBSTONE_SECONDS = 5


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


def _bury() -> None:
    try:
        cache.set(SHARED_KEY, TOMBSTONE, TOMBSTONE_SECONDS)
    except Exception:
        logger.warning("Practice settings written; the cache did not answer, so app servers "
                       "may read the old settings for up to %s s.", SHARED_SECONDS)


def forget_shared_practice(**_: Any) -> None:
    """After any write to the settings row: the shared copy is replaced by a tombstone now
    and again when the write commits (``PracticeSettings`` calls this on save, delete and
    queryset update)."""
    _bury()
    transaction.on_commit(_bury)
