"""The intake's busiest requests ask the database a fixed, small number of questions.

Issue 21 counts CPU per request; most of it went to queries. These budgets hold what was
won (docs/performance.md): permissions and roles in one query, the practice's settings from
the shared copy, one data-key lookup however the draft is written, no visit written on the
day of a save, the questionnaire's definition never read again once parsed. A change that
adds a query to every autosave fails here, with the queries listed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Intake
from tests.helpers import queries_of_a_second_call
from tests.intake.test_intake_pages import _open, _section_url, _start

pytestmark = pytest.mark.django_db

# Session, user, permissions and roles, then in the save's transaction (a savepoint here,
# inside the test's own): the draft read once with its row locked (its data key's row read
# with it: portal.crypto.datakeys.with_client_key), the update.
AUTOSAVE_QUERIES = 7
# Session, user, permissions and roles, the draft with its data key, the consents gate (the
# client's cases, documents, versions, signatures, guardians' signer sets), the safety alert.
SECTION_PAGE_QUERIES = 10
POST_SECTION_QUERIES = 7
PAGE = "what_brings_you"


def _queries(call: Callable[[], Any]) -> list[str]:
    response, queries = queries_of_a_second_call(call)
    assert response.status_code in (200, 302), response.status_code
    return queries


def _tables_read(queries: list[str], table: str) -> int:
    """How many of ``queries`` read ``table`` (as its main table)."""
    return sum(f'FROM "{table}"' in sql for sql in queries)


@pytest.fixture
def draft(as_client: Client) -> tuple[Intake, int]:
    intake = _start(as_client)
    _page, revision = _open(as_client, intake, PAGE)
    return intake, revision


def _common(queries: list[str]) -> None:
    listing = "\n".join(sql[:160] for sql in queries)
    assert _tables_read(queries, "portal_practicesettings") == 0, listing
    assert sum('"auth_permission"' in sql or '"auth_group"' in sql for sql in queries) == 1, \
        listing
    # The draft's data key comes with the draft (with_client_key), never on its own.
    assert not any(sql.startswith('SELECT "portal_datakey"') for sql in queries), listing
    assert not any('"definition"' in sql for sql in queries), listing
    assert _tables_read(queries, "intake_intakereminderstate") == 0, listing
    assert _tables_read(queries, "intake_intake") == 1, listing  # the draft, read once


def test_an_autosave(as_client: Client, draft: tuple[Intake, int]) -> None:
    intake, revision = draft
    url = reverse("intake_autosave", args=[intake.id])
    sent = iter(range(revision, revision + 10))

    def save() -> Any:
        return as_client.post(url, {"section": PAGE, "revision": next(sent),
                                    "questions": ["main_concern"], "main_concern": "Sleep"})

    queries = _queries(save)
    _common(queries)
    assert len(queries) == AUTOSAVE_QUERIES, "\n".join(sql[:160] for sql in queries)


def test_a_page_of_the_intake(as_client: Client, draft: tuple[Intake, int]) -> None:
    intake, _revision = draft
    queries = _queries(lambda: as_client.get(_section_url(intake, PAGE)))
    _common(queries)
    assert len(queries) == SECTION_PAGE_QUERIES, "\n".join(sql[:160] for sql in queries)


def test_a_page_sent(as_client: Client, draft: tuple[Intake, int]) -> None:
    intake, revision = draft
    sent = iter(range(revision, revision + 10))

    def send() -> Any:
        return as_client.post(_section_url(intake, PAGE), {
            "revision": next(sent), "questions": ["main_concern"],
            "main_concern": "Sleep", "action": "later"})

    queries = _queries(send)
    _common(queries)
    assert len(queries) == POST_SECTION_QUERIES, "\n".join(sql[:160] for sql in queries)
