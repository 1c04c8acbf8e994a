"""Autosave is limited per client: a script posting saves as fast as it can is refused
(429, with when to try again and a calm message) before anything is written; a person at
any human pace, another client, and the page's own "Next" are never held back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from intake.forms import LISTED_FIELD
from intake.models import Intake
from intake.services import intake_start
from intake.views.client import AUTOSAVE_PAUSED_MESSAGE
from portal import rate_limits
from portal.models import User
from tests.helpers import must_search, sign_in
from tests.intake_data import answers_by_section

pytestmark = pytest.mark.django_db

AUTOSAVES_PER_WINDOW = rate_limits.PORTAL_LIMITS["intake_autosave"].amount
AUTOSAVE_WINDOW_SECONDS = rate_limits.PORTAL_LIMITS["intake_autosave"].seconds

REVISION = re.compile(r'name="revision" value="(\d+)"')
# A moment that starts a limit window (a multiple of the window), and 15 s into it.
WINDOW_START = 1_800_000_000.0
assert WINDOW_START % AUTOSAVE_WINDOW_SECONDS == 0


@dataclass
class Clock:
    now: float

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The limit's clock, held still by the test: a minute's edge falling mid-test would
    otherwise start a fresh count and hide (or fake) a refusal."""
    clock = Clock(WINDOW_START + 15)
    monkeypatch.setattr(rate_limits, "_now", lambda: clock.now)
    return clock


def _autosave(http: Client, intake: Intake, revision: int, legal_name: str) -> Any:
    return http.post(reverse("intake_autosave", args=[intake.id]),
                     {"section": "about_you", "revision": revision, "legal_name": legal_name})


def _save_until_the_limit(http: Client, intake: Intake) -> None:
    """As many saves as the limit allows, each accepted, the last saying "Draft <limit>"."""
    for n in range(1, AUTOSAVES_PER_WINDOW + 1):
        response = _autosave(http, intake, n - 1, f"Draft {n}")
        assert response.status_code == HTTPStatus.OK, (n, response.content)


def _saved(intake: Intake) -> Intake:
    return Intake.objects.get(pk=intake.pk)  # decrypted by the ORM


def test_a_script_past_the_limit_is_refused_with_when_to_retry_and_nothing_is_written(
    as_client: Client, client_user: User, clock: Clock,
) -> None:
    intake = intake_start(client=client_user)
    _save_until_the_limit(as_client, intake)
    before = _saved(intake)

    response = _autosave(as_client, intake, AUTOSAVES_PER_WINDOW, "Draft refused")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Retry-After"] == "45"  # the rest of the minute
    assert response.json() == {"message": AUTOSAVE_PAUSED_MESSAGE, "retry_after": 45}
    assert "Draft" not in response.content.decode()  # never an answer sent back

    after = _saved(intake)
    assert after.answers == {"legal_name": f"Draft {AUTOSAVES_PER_WINDOW}"}
    assert after.revision == before.revision == AUTOSAVES_PER_WINDOW
    assert after.updated_at == before.updated_at

    # Trying again at once, however often, is refused the same way and changes nothing.
    for _ in range(5):
        again = _autosave(as_client, intake, AUTOSAVES_PER_WINDOW, "Draft refused")
        assert again.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert _saved(intake).answers == after.answers


def test_the_held_save_goes_through_when_the_page_retries_after_the_wait(
    as_client: Client, client_user: User, clock: Clock,
) -> None:
    intake = intake_start(client=client_user)
    _save_until_the_limit(as_client, intake)
    refused = _autosave(as_client, intake, AUTOSAVES_PER_WINDOW, "What I typed meanwhile")
    clock.advance(refused.json()["retry_after"])

    # The page sends what it still holds, with the revision of the last accepted save.
    retried = _autosave(as_client, intake, AUTOSAVES_PER_WINDOW, "What I typed meanwhile")
    assert retried.status_code == HTTPStatus.OK
    assert _saved(intake).answers == {"legal_name": "What I typed meanwhile"}


def test_another_client_is_not_held_back_by_someone_elses_limit(
    as_client: Client, client_user: User, other_client_user: User, clock: Clock,
) -> None:
    intake = intake_start(client=client_user)
    _save_until_the_limit(as_client, intake)
    assert _autosave(as_client, intake, AUTOSAVES_PER_WINDOW, "x").status_code == 429

    other = Client()
    sign_in(other, other_client_user)
    theirs = intake_start(client=other_client_user)
    response = _autosave(other, theirs, 0, "Someone else")
    assert response.status_code == HTTPStatus.OK
    assert _saved(theirs).answers == {"legal_name": "Someone else"}


def test_a_person_saving_at_a_human_pace_is_never_refused(
    as_client: Client, client_user: User, clock: Clock,
) -> None:
    intake = intake_start(client=client_user)
    # Within one minute: ten saves while typing (the page waits 2.5 s after the last key),
    # then thirty quick ones, clicking through a page of choices twice a second.
    pace = [2.5] * 10 + [0.5] * 30
    for revision, seconds in enumerate(pace):
        response = _autosave(as_client, intake, revision, f"Draft {revision}")
        assert response.status_code == HTTPStatus.OK, revision
        clock.advance(seconds)
    assert _saved(intake).revision == len(pace)


def test_the_pages_own_next_is_never_limited(
    as_client: Client, client_user: User, clock: Clock,
) -> None:
    intake = intake_start(client=client_user)
    _save_until_the_limit(as_client, intake)
    assert _autosave(as_client, intake, AUTOSAVES_PER_WINDOW, "x").status_code == 429

    url = reverse("intake_section", args=[intake.id, "about_you"])
    page = as_client.get(url).content.decode()
    listed = re.findall(rf'name="{LISTED_FIELD}" value="([^"]+)"', page)
    response = as_client.post(url, {
        LISTED_FIELD: listed, **answers_by_section()["about_you"],
        "revision": must_search(REVISION, page).group(1), "action": "next",
    })
    assert response.status_code == HTTPStatus.FOUND
    assert _saved(intake).answers["legal_name"] == "Robin Example"


def test_the_count_is_kept_under_the_account_id_never_its_email(
    as_client: Client, client_user: User, clock: Clock,
) -> None:
    intake = intake_start(client=client_user)
    _autosave(as_client, intake, 0, "Draft")
    keys = list(getattr(cache, "_cache", {}))  # the test cache is in memory
    limit_keys = [key for key in keys if "autosave" in key]
    assert limit_keys and all(str(client_user.pk) in key for key in limit_keys)
    assert not any("client@example" in key or "example.com" in key for key in keys)


def test_a_cache_that_cannot_be_reached_never_stops_a_save(
    as_client: Client, client_user: User, settings: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    """The limit guards against floods; with Redis down a person's words still save."""
    intake = intake_start(client=client_user)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens
    response = _autosave(as_client, intake, 0, "Saved without the cache")
    assert response.status_code == HTTPStatus.OK
    assert _saved(intake).answers == {"legal_name": "Saved without the cache"}
    assert "the cache did not answer" in caplog.text
    assert "Saved without" not in caplog.text
