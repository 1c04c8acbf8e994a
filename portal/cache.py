"""The shared cache (Redis in production): Django's Redis backend, less its per-call cost.

Django's backend builds a new ``redis.Redis`` client (and its table of some eighty reply
handlers) for every cache call, around the connection pool it keeps. A page makes several
calls (a rate limit, the practice's settings), so ``RedisCache`` keeps one client per pool
instead. A client holds no connection and no state of its own: every command borrows a
connection from the pool, as before.

It also counts in one round trip (``count_in_window``) what Django's API counts in three
(``add``, then ``incr``, which first asks whether the key exists): the fixed-window rate
limits (``portal.rate_limits``), one of them on every autosave.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClients(RedisCacheClient):
    """Django's Redis cache client with one ``redis.Redis`` per connection pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(  # type: ignore[attr-defined]
                connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """Django's ``RedisCache`` with ``ReusedClients``."""

    @cached_property
    def _cache(self) -> ReusedClients:
        # Django's own private names (not in its stubs); tests/portal/test_cache.py runs it.
        return ReusedClients(self._servers, **self._options)  # type: ignore[attr-defined]

    def count_in_window(self, key: str, timeout: int) -> int:
        """One more on the counter at ``key``, created at 0 to expire ``timeout`` seconds
        later when absent: its new value. One round trip, a MULTI of ``SET NX EX`` and
        ``INCR``, so the counter cannot expire between the two and come back without an
        expiry. The value is stored as Django stores a counter, so ``get`` reads it."""
        full_key = self.make_and_validate_key(key)
        client = self._cache.get_client(full_key, write=True)
        with client.pipeline(transaction=True) as pipe:
            pipe.set(full_key, 0, ex=timeout, nx=True)
            pipe.incr(full_key)
            _created, count = pipe.execute()
        return int(count)
