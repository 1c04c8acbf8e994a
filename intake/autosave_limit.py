"""How often one client's pages may autosave: never reached by a person, a wall for a script.

Each autosave encrypts the page and updates the draft under a row lock. The page saves a
few seconds after typing stops, when a field changes and when it loses focus, one save at a
time: a person, even clicking quickly through a page of choices, makes a few saves a
minute. A script (or a stolen session) could make thousands.

The count is per user, in a fixed window, in the shared cache (Redis in production), so all
app servers count together. The key holds the account's id, never an email or a name. One
``add`` and one atomic ``incr`` per save: no lock to wait on, so a flood is refused as
cheaply as it arrives. A fixed window lets a script reach at most twice the limit across a
window's edge, which is still far from harmful.

Only the background autosave is limited. The page's own form post (its "Next", "Back" and
"Save for later" buttons) is not, so a person can always move on with what they typed.
"""

from __future__ import annotations

import logging
import math
import time

from django.core.cache import cache

from portal.models import User

# 60 a minute, one a second on average: a person typing never gets near it (the page waits
# 2.5 s after typing stops, and sends one save at a time); a script gets there in a moment.
AUTOSAVES_PER_WINDOW = 60
AUTOSAVE_WINDOW_SECONDS = 60
_KEY_PREFIX = "intake:autosave:rl"
logger = logging.getLogger(__name__)


def _now() -> float:
    return time.time()


def _count(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr: this save starts a fresh count
        cache.set(key, 1, timeout=timeout)
        return 1


def autosave_retry_after(user: User) -> int | None:
    """Count one autosave by ``user``: ``None`` if it may go ahead, else how many whole
    seconds until the window ends and saves are taken again (at least 1).

    Refused attempts count too, which changes nothing (the window ends when it ends).
    When the cache cannot be reached the save goes ahead (and a warning is logged): the
    limit guards against floods, and a person's words must not wait on Redis.
    """
    now = _now()
    window = int(now // AUTOSAVE_WINDOW_SECONDS)
    key = f"{_KEY_PREFIX}:{user.pk}:{window}"
    # The entry outlives its window a little, so a slow clock on one app server still finds
    # it; after that it expires by itself.
    timeout = AUTOSAVE_WINDOW_SECONDS * 2
    try:
        count = _count(key, timeout)
    except Exception:  # any cache failure: the save matters more than the count
        logger.warning("Autosave limit not checked: the cache did not answer.")
        return None
    if count <= AUTOSAVES_PER_WINDOW:
        return None
    window_ends = (window + 1) * AUTOSAVE_WINDOW_SECONDS
    return max(1, math.ceil(window_ends - now))
