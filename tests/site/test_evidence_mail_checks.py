"""The mail drills' own checks can fail (``evidence.workers.count_deliveries``,
``evidence.worker_crash``, ``evidence.mail_outage``): an email missing, sent twice or not
explained by any outbox row is counted as such; a duplicate after a worker's SIGKILL is
accepted only in the one window ``portal.mail.delivery`` documents; the p95 judgement
follows its stated margin."""

from __future__ import annotations

from collections import Counter

from evidence.mail_outage import within_noise
from evidence.worker_crash import duplicates_explained, where_it_landed
from evidence.workers import count_deliveries

ONE, TWO, THREE = "<1@intake-portal>", "<2@intake-portal>", "<3@intake-portal>"


def test_every_email_once_counts_clean() -> None:
    counted = count_deliveries({ONE, TWO}, Counter({ONE: 1, TWO: 1}))
    assert counted == {"expected": 2, "once": 2, "missing": 0, "duplicated": 0,
                       "unexplained": 0}


def test_missing_duplicated_and_unexplained_emails_are_counted() -> None:
    counted = count_deliveries({ONE, TWO, THREE}, Counter({ONE: 2, THREE: 1,
                                                           "<stray@elsewhere>": 1}))
    assert counted["once"] == 1
    assert counted["missing"] == 1
    assert counted["duplicated"] == 1
    assert counted["unexplained"] == 1


def test_a_duplicate_is_accepted_only_in_the_window() -> None:
    # The row A was sending, already at the sink when A died: the documented window.
    assert duplicates_explained({ONE}, sending={ONE}, received_at_kill={ONE, TWO})
    assert duplicates_explained(set(), sending={ONE}, received_at_kill={ONE})
    # Sent twice although A had not reached the mail server with it: no window explains it.
    assert not duplicates_explained({ONE}, sending={ONE}, received_at_kill={TWO})
    # Sent twice although A was not sending it.
    assert not duplicates_explained({TWO}, sending={ONE}, received_at_kill={ONE, TWO})
    # One kill, one window: two duplicates are one too many.
    assert not duplicates_explained({ONE, TWO}, sending={ONE, TWO},
                                    received_at_kill={ONE, TWO})


def test_where_the_kill_landed_is_named_from_the_queue_and_outbox() -> None:
    assert "before its row was marked sent" in where_it_landed({ONE}, {ONE}, {})
    assert "before the mail server accepted" in where_it_landed({ONE}, {TWO}, {})
    assert "holding a task" in where_it_landed(set(), set(), {"deliver_message": 1})
    assert where_it_landed(set(), set(), {}) == "between two tasks"


def test_within_noise_follows_its_margin() -> None:
    assert within_noise(400.0, 500.0)  # x1.25
    assert not within_noise(400.0, 501.0)
    assert within_noise(100.0, 150.0)  # +50 ms allows more than x1.25 for fast requests
    assert not within_noise(100.0, 151.0)
    assert within_noise(400.0, 300.0)  # faster is never a problem
