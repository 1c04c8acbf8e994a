"""Change that means something: every rule at its threshold (one short of it, at it, one
past it), always from the first score to the latest, in words a clinician can check."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from measures.change import (
    AT_OR_ABOVE_CUTOFF,
    BELOW_CUTOFF,
    RELIABLE_DETERIORATION,
    RELIABLE_IMPROVEMENT,
    REMISSION,
    RESPONSE,
    assess,
)
from measures.scales import Scale
from tests.measures.instruments import CSI4, GAD7, PHQ9, series

CHANGE_KINDS = (RESPONSE, REMISSION, RELIABLE_IMPROVEMENT, RELIABLE_DETERIORATION)

# (scale, first score, latest score, the rule, whether it is met)
THRESHOLDS: list[tuple[Scale, int, int, str, bool]] = [
    # PHQ-9 response: down by at least 50% (16 -> 8 is exactly half).
    (PHQ9, 16, 9, RESPONSE, False), (PHQ9, 16, 8, RESPONSE, True), (PHQ9, 16, 7, RESPONSE, True),
    # An odd first score: half of 15 is 7.5, so 8 is short of it and 7 past it.
    (PHQ9, 15, 8, RESPONSE, False), (PHQ9, 15, 7, RESPONSE, True),
    (PHQ9, 1, 0, RESPONSE, True), (PHQ9, 0, 0, RESPONSE, False),
    # PHQ-9 remission: below 5, from a first score at or above 5.
    (PHQ9, 12, 6, REMISSION, False), (PHQ9, 12, 5, REMISSION, False),
    (PHQ9, 12, 4, REMISSION, True),
    (PHQ9, 5, 4, REMISSION, True), (PHQ9, 4, 3, REMISSION, False), (PHQ9, 6, 4, REMISSION, True),
    # PHQ-9 reliable change: at least 6 points either way.
    (PHQ9, 16, 11, RELIABLE_IMPROVEMENT, False), (PHQ9, 16, 10, RELIABLE_IMPROVEMENT, True),
    (PHQ9, 16, 9, RELIABLE_IMPROVEMENT, True),
    (PHQ9, 4, 9, RELIABLE_DETERIORATION, False), (PHQ9, 4, 10, RELIABLE_DETERIORATION, True),
    (PHQ9, 4, 11, RELIABLE_DETERIORATION, True),
    # GAD-7 remission: below 5.
    (GAD7, 12, 6, REMISSION, False), (GAD7, 12, 5, REMISSION, False),
    (GAD7, 12, 4, REMISSION, True), (GAD7, 4, 2, REMISSION, False),
    # GAD-7 reliable change: at least 4 points either way; no response rule.
    (GAD7, 12, 9, RELIABLE_IMPROVEMENT, False), (GAD7, 12, 8, RELIABLE_IMPROVEMENT, True),
    (GAD7, 12, 7, RELIABLE_IMPROVEMENT, True),
    (GAD7, 5, 8, RELIABLE_DETERIORATION, False), (GAD7, 5, 9, RELIABLE_DETERIORATION, True),
    (GAD7, 5, 10, RELIABLE_DETERIORATION, True),
    (GAD7, 16, 2, RESPONSE, False),
]


@pytest.mark.parametrize(("scale", "first", "latest", "kind", "met"), THRESHOLDS,
                         ids=[f"{s.slug}-{k}-{a}-to-{b}" for s, a, b, k, _ in THRESHOLDS])
def test_each_rule_at_its_threshold(scale: Scale, first: int, latest: int, kind: str,
                                    met: bool) -> None:
    assert assess(scale, series(scale, first, latest)).met(kind) is met


@pytest.mark.parametrize(("latest", "deteriorated"), [(9, False), (10, True), (11, True)])
def test_reliable_deterioration_raises_the_review_flag(latest: int, deteriorated: bool) -> None:
    assert assess(PHQ9, series(PHQ9, 4, latest)).deteriorated is deteriorated


@pytest.mark.parametrize(("latest", "kind"), [
    (14, None), (15, RELIABLE_DETERIORATION), (16, RELIABLE_DETERIORATION),
    (6, None), (5, RELIABLE_IMPROVEMENT), (4, RELIABLE_IMPROVEMENT),
])
def test_the_practice_may_set_its_own_reliable_change(latest: int, kind: str | None) -> None:
    strict = replace(PHQ9, reliable_change=5)
    change = assess(strict, series(strict, 10, latest))
    met = {o.kind for o in change.outcomes} & {RELIABLE_IMPROVEMENT, RELIABLE_DETERIORATION}
    assert met == ({kind} if kind else set())
    assert change.deteriorated is (kind == RELIABLE_DETERIORATION)
    assert "Reliable improvement: down by at least 5 points from the first score" \
        in change.rules


def test_each_outcome_names_its_rule_and_the_scores_it_compared() -> None:
    points = series(PHQ9, 16, 12, 3)
    change = assess(PHQ9, points)
    assert [o.text for o in change.outcomes] == [
        "Response: PHQ-9 down by at least 50% from the first score (from 16 to 3)",
        "Remission: PHQ-9 below 5 (from 16 to 3)",
        "Reliable improvement: PHQ-9 down by at least 6 points from the first score "
        "(from 16 to 3)",
    ]
    assert change.summary == ("PHQ-9 down 13 points from the first score (16 on 3 Mar 2026) "
                              "to 3 on 17 Mar 2026.")
    assert (change.baseline, change.latest, change.difference) == (points[0], points[-1], -13)


def test_deterioration_says_so_in_words() -> None:
    change = assess(GAD7, series(GAD7, 3, 9))
    assert [o.text for o in change.outcomes] == [
        "Reliable deterioration: GAD-7 up by at least 4 points from the first score "
        "(from 3 to 9)"]
    assert change.deteriorated


def test_change_is_from_the_first_score_not_the_worst_or_the_one_before() -> None:
    # Up to 25 in between, back to 10: a reliable improvement on the first (16), nothing else.
    change = assess(PHQ9, series(PHQ9, 16, 25, 10))
    assert {o.kind for o in change.outcomes} == {RELIABLE_IMPROVEMENT}
    assert change.difference == -6 and not change.deteriorated


def test_the_points_are_judged_in_time_order_whatever_order_they_come_in() -> None:
    points = series(PHQ9, 4, 12)
    assert assess(PHQ9, reversed(points)).deteriorated
    assert assess(PHQ9, reversed(points)).baseline == points[0]


def test_one_score_is_no_change_yet_and_says_so() -> None:
    change = assess(PHQ9, series(PHQ9, 22))
    assert change.outcomes == () and change.difference is None and not change.has_change
    assert change.summary == "No change yet: one PHQ-9 score so far (22 on 3 Mar 2026)."
    assert not change.deteriorated


def test_the_same_score_again_is_no_change_which_is_not_no_change_yet() -> None:
    change = assess(PHQ9, series(PHQ9, 12, 12))
    assert change.difference == 0 and change.has_change and change.outcomes == ()
    assert change.summary == "PHQ-9 the same as the first score: 12 on 3 Mar 2026, " \
                             "12 on 10 Mar 2026."


def test_no_scores_at_all() -> None:
    change = assess(GAD7, [])
    assert (change.count, change.baseline, change.latest) == (0, None, None)
    assert change.summary == "No GAD-7 scores yet." and not change.deteriorated


@pytest.mark.parametrize(("latest", "kind", "text"), [
    (13, BELOW_CUTOFF, "Below the cut-off: CSI-4 below 13.5: suggests notable relationship "
                       "distress (latest 13)"),
    (14, AT_OR_ABOVE_CUTOFF, "At or above the cut-off: CSI-4 at or above 13.5 (latest 14)"),
])
def test_the_csi4_shows_which_side_of_the_cut_off_the_latest_score_is(
        latest: int, kind: str, text: str) -> None:
    for points in (series(CSI4, latest), series(CSI4, 8, latest)):
        change = assess(CSI4, points)
        assert [o.text for o in change.outcomes] == [text]
        assert change.outcomes[0].kind == kind


def test_a_scale_without_change_rules_judges_no_change() -> None:
    # The CSI-4 has a cut-off and nothing else: a rise of 20 points is not called anything.
    change = assess(CSI4, series(CSI4, 1, 21))
    assert not any(change.met(kind) for kind in CHANGE_KINDS)
    assert change.rules == ("Cut-off: 13.5 (below it suggests notable relationship distress)",)


@pytest.mark.parametrize(("first", "latest", "kind"), [
    (10, 14, None), (10, 15, RELIABLE_IMPROVEMENT), (15, 11, None),
    (15, 10, RELIABLE_DETERIORATION),
])
def test_where_higher_is_better_improvement_is_a_rise(first: int, latest: int,
                                                      kind: str | None) -> None:
    csi4 = replace(CSI4, reliable_change=5)
    change = assess(csi4, series(csi4, first, latest))
    kinds = {o.kind for o in change.outcomes} & set(CHANGE_KINDS)
    assert kinds == ({kind} if kind else set())
    assert change.deteriorated is (kind == RELIABLE_DETERIORATION)
    words = {RELIABLE_IMPROVEMENT: "up by at least 5 points",
             RELIABLE_DETERIORATION: "down by at least 5 points"}
    if kind:
        assert words[kind] in change.outcomes[0].rule


def test_the_rules_in_force_are_listed_for_the_screen() -> None:
    assert assess(PHQ9, series(PHQ9, 10)).rules == (
        "Response: down by at least 50% from the first score",
        "Remission: below 5, having started at 5 or above",
        "Reliable improvement: down by at least 6 points from the first score",
        "Reliable deterioration: up by at least 6 points from the first score",
    )


def test_the_days_in_the_summary_are_the_practices_days() -> None:
    # 23:30 in New York on 3 Mar is 4 Mar in UTC; the practice's day is the 3rd.
    late = series(PHQ9, 10, 12, every=timedelta(days=1),
                  start=series(PHQ9, 0)[0].taken_at + timedelta(hours=11, minutes=30))
    assert "(10 on 3 Mar 2026) to 12 on 4 Mar 2026" in assess(PHQ9, late).summary
