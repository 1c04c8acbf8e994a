"""The portal's Redis cache backend (``portal.cache``) behaves as Django's: values round-trip,
``add`` never overwrites, counters count, entries expire and go; it builds one client per
connection pool rather than one per call. Against the machine's real Redis (CI has one; on a
machine without it these tests skip and say so)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.test import override_settings

from portal import rate_limits
from portal.cache import RedisCache
from portal.models import User
from portal.rate_limits import PORTAL_LIMITS, Counting, Limit

LOCATION = "redis://127.0.0.1:6379/13"


@pytest.fixture
def shared() -> Iterator[RedisCache]:
    try:
        redis.Redis.from_url(LOCATION).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("No Redis on 127.0.0.1:6379: the Redis cache backend is not tested here.")
    backend = RedisCache(LOCATION, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield backend
    backend.clear()


def test_values_round_trip_and_add_never_overwrites(shared: RedisCache) -> None:
    shared.set("settings", {"name": "Harbour", "minutes": 15}, 30)
    assert shared.get("settings") == {"name": "Harbour", "minutes": 15}
    assert not shared.add("settings", "other", 30)
    assert shared.add("fresh", "first", 30)
    assert shared.get("fresh") == "first"
    shared.delete("settings")
    assert shared.get("settings") is None


def test_counters_count_and_entries_expire(shared: RedisCache) -> None:
    shared.add("count", 0, 30)
    assert [shared.incr("count") for _ in range(3)] == [1, 2, 3]
    with pytest.raises(ValueError):
        shared.incr("never-set")
    shared.set("brief", "gone soon", 1)
    time.sleep(1.1)  # the entry's own expiry, not a timing assertion
    assert shared.get("brief") is None


def test_one_client_per_pool_however_many_calls(shared: RedisCache,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    built = []
    real = redis.Redis.__init__

    def counting(self: redis.Redis, *args: object, **kwargs: object) -> None:
        built.append(self)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    for number in range(20):
        shared.set(f"key-{number}", number, 30)
        assert shared.get(f"key-{number}") == number
    assert len(built) <= 1


def test_a_window_counter_counts_in_one_round_trip_and_always_expires(
        shared: RedisCache, monkeypatch: pytest.MonkeyPatch) -> None:
    """``count_in_window``: 1, 2, 3 on one key, readable by ``get`` as Django's counters are;
    the key carries its expiry from the first count on, and goes when it ends; each count
    is one exchange with Redis."""
    shared.get("window")  # the connection opened (its CLIENT SETINFO sent) before counting
    sent = []
    real_send = redis.connection.Connection.send_packed_command

    def counting(self: redis.connection.Connection, *args: object, **kwargs: object) -> None:
        sent.append(args)
        real_send(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counting)
    assert [shared.count_in_window("window", 30) for _ in range(3)] == [1, 2, 3]
    assert len(sent) == 3  # one exchange a count: Django's add and incr take three
    assert shared.get("window") == 3
    raw = redis.Redis.from_url(LOCATION)
    assert 0 < int(raw.pttl(shared.make_and_validate_key("window"))) <= 30_000  # type: ignore[arg-type]
    assert shared.count_in_window("brief", 1) == 1
    time.sleep(1.1)  # the counter's own expiry, not a timing assertion
    assert shared.get("brief") is None
    assert shared.count_in_window("brief", 30) == 1  # a new window starts at one


def test_the_fixed_window_limits_count_through_redis_when_it_is_the_cache(
        shared: RedisCache, client_user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """With Redis as the cache, an autosave's limit counts there, under the person's id, and
    refuses past its amount with the seconds left in the window."""
    prefix = f"test-{uuid.uuid4().hex}"
    redis_cache = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": LOCATION,
                               "KEY_PREFIX": prefix}}
    monkeypatch.setitem(PORTAL_LIMITS, "intake_autosave",
                        Limit("3/m/user", Counting.FIXED_WINDOW))
    monkeypatch.setattr(rate_limits, "_now", lambda: 1_800_000_000.0 + 50.5)
    with override_settings(CACHES=redis_cache):
        answers = [rate_limits.retry_after("intake_autosave", user=client_user)
                   for _ in range(4)]
    raw = redis.Redis.from_url(LOCATION)
    counters = list(raw.scan_iter(f"{prefix}:*"))
    assert answers == [None, None, None, 10]  # 9.5 s left in the minute, in whole seconds
    assert [key.decode().split(":", 2)[2] for key in counters] == \
        [f"portal:rl:intake_autosave:{client_user.pk}:30000000"]
    assert raw.get(counters[0]) == b"4"
    raw.delete(*counters)
