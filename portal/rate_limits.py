"""Every rate limit in the portal, declared as data in one table, and the one way to count
against a limit: callers ask by name.

Why it is the only way. A limit is a security decision (how fast may someone guess
passwords, search client records, hammer autosave), so each is written once, here, with
its reason, not as a number inside the view it guards. Counting goes through allauth's
limiter, which lives in allauth's *internal* package (``allauth.core.internal.ratelimit``)
and may change in any release: this is the only module that imports it (a test reads the
source tree), so an allauth upgrade is checked in one place. ``settings.ACCOUNT_RATE_LIMITS``
is ``ACCOUNT_RATE_LIMITS`` below, so allauth's own limits are in the same table.

How a limit is written, in allauth's notation: ``"amount/period/per"``. ``"30/m/user"`` is
30 a minute per account, ``"5/5m/key"`` 5 in five minutes per key (allauth hashes the key,
a sign-in address, before it reaches the cache), ``"10/m/ip"`` 10 a minute per network
address. Several rates, comma-separated, all apply. Cache keys hold the limit's name and an
account id, a hashed key or an address, never a name, an email or what was typed. Counts
live in the shared cache (Redis in production), so every app server counts together.

Two ways of counting, chosen per limit:

* ``SLIDING`` (``allow``): allauth's limiter, a list of timestamps per key under a short
  cache lock; exact, for actions a person takes by hand (a search).
* ``FIXED_WINDOW`` (``retry_after``): one atomic count per call (``add`` then ``incr``; on
  Redis one round trip, ``portal.cache.RedisCache.count_in_window``), no lock to wait on,
  so a flood is refused as cheaply as it arrives; it says when the window ends, and when
  the cache cannot be reached it lets the action through (and logs a warning):
  for background work a person must never lose (autosave). A fixed window lets a script
  reach at most twice the limit across a window's edge, still far from harmful.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from allauth.core.internal import ratelimit as allauth_ratelimit
from django.core.cache import cache
from django.http import HttpRequest

if TYPE_CHECKING:  # for annotations only: settings import this module's tables
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

logger = logging.getLogger(__name__)


class Counting(StrEnum):
    SLIDING = "sliding"
    FIXED_WINDOW = "fixed_window"


@dataclass(frozen=True)
class Limit:
    """A named limit: its rates (allauth's notation) and how it is counted."""

    rates: str
    counting: Counting

    def parsed(self) -> list[allauth_ratelimit.Rate]:
        return allauth_ratelimit.parse_rates(self.rates)

    @property
    def amount(self) -> int:
        """How many are allowed per period (a single-rate limit)."""
        return self._single().amount

    @property
    def seconds(self) -> int:
        """The period, in seconds (a single-rate limit)."""
        return int(self._single().duration)

    def _single(self) -> allauth_ratelimit.Rate:
        [rate] = self.parsed()
        return rate


# allauth's own limits, by allauth's action names; allauth reads them as
# settings.ACCOUNT_RATE_LIMITS. Sign-in failures are counted per network address and per
# sign-in address ("key"); see docs/threat-model.md.
ACCOUNT_RATE_LIMITS: dict[str, str] = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reauthenticate": "10/m/user",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}

# The portal's own limits, by name.
PORTAL_LIMITS: dict[str, Limit] = {
    # Searching clients by name, birth date or phone decrypts candidates: 30 a minute per
    # staff member is more than anyone types, and far below a script walking the index.
    # A refused search is not counted.
    "client_search": Limit("30/m/user", Counting.SLIDING),
    # One client's autosaves: never reached by a person, a wall for a script. The page saves
    # a few seconds after typing stops, when a field changes and when it loses focus, one
    # save at a time: a person, even clicking quickly through a page of choices, makes a few
    # a minute; a script (or a stolen session) could make thousands, each encrypting a page
    # and updating the draft under a row lock. Only the background autosave is limited,
    # never the page's own "Next", "Back" and "Save for later".
    "intake_autosave": Limit("60/m/user", Counting.FIXED_WINDOW),
}

_PORTAL_APP = "portal"  # allauth's limiter files portal limits under this app name
_ACCOUNT_APP = "allauth.account"


def _limit(name: str, counting: Counting) -> Limit:
    limit = PORTAL_LIMITS[name]
    if limit.counting != counting:
        raise ValueError(f"The {name!r} limit is counted {limit.counting}, not {counting}.")
    return limit


def allow(request: HttpRequest, name: str, *,
          user: AbstractBaseUser | AnonymousUser | None = None) -> bool:
    """Whether one more ``name`` action (a ``SLIDING`` limit) may go ahead now, counting it
    if so. Per-user rates count ``user`` (default: the signed-in ``request.user``); a
    refused action is not counted. allauth's public ``consume`` would read allauth's own
    settings, so the portal's rates are handed to it here."""
    limit = _limit(name, Counting.SLIDING)
    usage = allauth_ratelimit.consume(
        request, app=_PORTAL_APP, action=name, config={name: limit.rates},
        user=user if user is not None else request.user,
    )
    return usage is not None


def _now() -> float:
    return time.time()


def _count(key: str, timeout: int) -> int:
    count_in_window = getattr(cache, "count_in_window", None)
    if count_in_window is not None:  # Redis (portal.cache): one round trip
        return int(count_in_window(key, timeout))
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr: this call starts a fresh count
        cache.set(key, 1, timeout=timeout)
        return 1


def retry_after(name: str, *, user: AbstractBaseUser) -> int | None:
    """Count one ``name`` action (a ``FIXED_WINDOW`` limit, per user) by ``user``: ``None``
    if it may go ahead, else how many whole seconds until the window ends (at least 1).

    Refused attempts count too, which changes nothing (the window ends when it ends).
    When the cache cannot be reached the action goes ahead and a warning naming the limit
    (nothing else) is logged: these limits guard against floods, and a person's work must
    not wait on Redis.
    """
    limit = _limit(name, Counting.FIXED_WINDOW)
    seconds = limit.seconds
    now = _now()
    window = int(now // seconds)
    key = f"portal:rl:{name}:{user.pk}:{window}"
    # The entry outlives its window a little, so a slow clock on one app server still finds
    # it; after that it expires by itself.
    try:
        count = _count(key, timeout=seconds * 2)
    except Exception:  # any cache failure: the action matters more than the count
        logger.warning("Rate limit %s not checked: the cache did not answer.", name)
        return None
    if count <= limit.amount:
        return None
    return max(1, math.ceil((window + 1) * seconds - now))


def spent_allowances(request: HttpRequest, name: str, *, key: str) -> list[str]:
    """Which allowances of allauth's ``name`` limit are used up now for this request and
    ``key``, by what they count (``ip``, ``key``, ``user``), without counting anything.

    Read from the cache entries allauth keeps (their keys hold a hash of ``key``, never
    ``key``), without allauth's cache lock: this labels an audit event, so a read a moment
    stale is fine, and a flood of refused attempts never queues on the lock.
    """
    now = time.time()
    spent: list[str] = []
    for rate in allauth_ratelimit.get_rates(app=_ACCOUNT_APP, action=name):
        cache_key = allauth_ratelimit.get_cache_key(
            request, app=_ACCOUNT_APP, action=name, rate=rate, key=key
        )
        history = list(cache.get(cache_key, []))
        allowed, _ = allauth_ratelimit.apply_rate(history, now, rate, dry_run=True)
        if not allowed and rate.per not in spent:
            spent.append(rate.per)
    return spent
