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

from portal.cache import RedisCache

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
