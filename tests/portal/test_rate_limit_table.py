"""``portal.rate_limits``: every limit declared as data in one table, asked for by name."""

from __future__ import annotations

import pytest
from allauth.core.internal.ratelimit import parse_rates
from django.conf import settings
from django.core.cache import cache
from django.test import RequestFactory

from portal import rate_limits
from portal.models import User
from portal.rate_limits import ACCOUNT_RATE_LIMITS, PORTAL_LIMITS, Counting, Limit

pytestmark = pytest.mark.django_db


def test_allauth_reads_its_limits_from_the_table() -> None:
    assert settings.ACCOUNT_RATE_LIMITS is ACCOUNT_RATE_LIMITS
    assert ACCOUNT_RATE_LIMITS["login_failed"] == "10/m/ip,5/5m/key"


@pytest.mark.parametrize("name", sorted(PORTAL_LIMITS))
def test_every_portal_limit_is_written_in_allauths_notation(name: str) -> None:
    limit = PORTAL_LIMITS[name]
    assert parse_rates(limit.rates)
    if limit.counting == Counting.FIXED_WINDOW:  # one rate, per account
        assert [rate.per for rate in limit.parsed()] == ["user"]


def test_a_limit_is_asked_for_by_its_name_and_its_way_of_counting(client_user: User) -> None:
    request = RequestFactory().post("/")
    request.user = client_user
    with pytest.raises(KeyError):
        rate_limits.allow(request, "no_such_limit")
    with pytest.raises(ValueError, match="fixed_window"):
        rate_limits.allow(request, "intake_autosave")
    with pytest.raises(ValueError, match="sliding"):
        rate_limits.retry_after("client_search", user=client_user)


def test_a_sliding_limit_counts_each_person_apart_under_their_id(
    monkeypatch: pytest.MonkeyPatch, client_user: User, other_client_user: User,
) -> None:
    monkeypatch.setitem(PORTAL_LIMITS, "client_search", Limit("2/m/user", Counting.SLIDING))
    request = RequestFactory().post("/")
    request.user = client_user
    assert [rate_limits.allow(request, "client_search") for _ in range(3)] == [True, True,
                                                                              False]
    assert rate_limits.allow(request, "client_search", user=other_client_user)
    keys = list(getattr(cache, "_cache", {}))  # the test cache is in memory
    assert any(str(client_user.pk) in key and "client_search" in key for key in keys)
    assert not any("example.com" in key for key in keys)


def test_a_fixed_window_says_when_to_come_back(
    monkeypatch: pytest.MonkeyPatch, client_user: User,
) -> None:
    monkeypatch.setitem(PORTAL_LIMITS, "intake_autosave",
                        Limit("2/m/user", Counting.FIXED_WINDOW))
    monkeypatch.setattr(rate_limits, "_now", lambda: 1_800_000_000.0 + 50.5)
    answers = [rate_limits.retry_after("intake_autosave", user=client_user) for _ in range(3)]
    assert answers == [None, None, 10]  # 9.5 s left in the minute, in whole seconds
