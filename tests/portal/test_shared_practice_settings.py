"""The practice's settings come from a copy every app server shares, and a change is seen at
once: pages stop asking the database for the row on every request, yet an admin's edit
(through the page, or any write to the row) reaches the very next request, a request that
read the old row just before the write cannot put it back, and a dead cache costs nothing
but the query."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import PracticeSettings
from portal.practice import SHARED_KEY, shared_practice
from tests.helpers import reauthenticate
from tests.portal.test_practice_settings import VALID

pytestmark = pytest.mark.django_db

UNREACHABLE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                 "LOCATION": "redis://127.0.0.1:1/0"}}


def _seconds_pass() -> None:
    """The few seconds after the last write pass: its tombstone expires (setting up a test
    writes the row)."""
    cache.delete(SHARED_KEY)


def _settings_queries(http: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as seen:
        assert http.get(url).status_code == 200
    return sum("portal_practicesettings" in query["sql"] for query in seen.captured_queries)


def test_pages_read_the_shared_copy_not_the_row(as_client: Client) -> None:
    _seconds_pass()
    _settings_queries(as_client, reverse("client_home"))  # the first publishes the copy
    assert _settings_queries(as_client, reverse("client_home")) == 0
    assert _settings_queries(Client(), reverse("home")) == 0


def test_an_admins_change_is_on_the_next_page_anyone_opens(as_admin: Client) -> None:
    _seconds_pass()
    visitor = Client()
    assert b"Harbor Counseling" not in visitor.get(reverse("home")).content
    assert isinstance(cache.get(SHARED_KEY), PracticeSettings)
    reauthenticate(as_admin)
    response = as_admin.post(reverse("practice_settings"), VALID)
    assert response.status_code == 302
    assert b"Harbor Counseling" in visitor.get(reverse("home")).content


def test_a_write_in_bulk_drops_the_copy_too() -> None:
    assert shared_practice().name != "Renamed in bulk"
    PracticeSettings.objects.filter(pk=1).update(name="Renamed in bulk")
    assert shared_practice().name == "Renamed in bulk"


def test_a_row_read_before_a_write_cannot_be_published_after_it() -> None:
    stale = PracticeSettings.load()  # a request reads the row …
    PracticeSettings.objects.filter(pk=1).update(name="Newer")  # … an admin writes …
    cache.add(SHARED_KEY, stale, 60)  # … and the first request tries to publish what it read
    assert shared_practice().name == "Newer"
    assert not isinstance(cache.get(SHARED_KEY), PracticeSettings)


def test_with_the_cache_down_the_database_answers(as_client: Client) -> None:
    PracticeSettings.objects.filter(pk=1).update(name="Read without a cache")
    with override_settings(CACHES=UNREACHABLE_CACHE):
        assert shared_practice().name == "Read without a cache"
        PracticeSettings.objects.filter(pk=1).update(name="Written without a cache")
        assert shared_practice().name == "Written without a cache"
