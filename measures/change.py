"""Change that means something: a client's series judged against its first score.

Pure: ``assess(scale, points)`` takes a ``Scale`` (the instrument and the practice's rules)
and the points, and says what the screen says, each outcome with its rule in words so a
clinician sees why ("Reliable deterioration: PHQ-9 up by at least 6 points from the first
score (from 4 to 10)"). Every change is measured from the **first** score (the baseline) to
the **latest**; the scores in between are drawn on the chart but judge nothing.

The thresholds, exactly (each pinned by tests one below, at and one above):

- *Reliable improvement / deterioration*: a change of **at least** ``reliable_change``
  points (``>=``), in the direction that is better / worse for this scale (a fall on the
  PHQ-9, a rise on the CSI-4).
- *Response*: the latest score at most ``100 - response_drop_percent`` percent of the first
  (50%: 16 to 8 is a response, 16 to 9 is not). Worked in whole numbers
  (``latest * 100 <= baseline * (100 - percent)``), so no rounding decides a response. A
  first score of 0 cannot fall: no response is possible.
- *Remission*: the latest score **below** ``remission_below`` (``<``) **and** the first at
  or above it. Someone who started in the non-clinical range has nothing to remit from:
  a PHQ-9 going from 3 to 2 is not a remission. (Clinical practice often asks more of the
  baseline, e.g. a PHQ-9 of 10 or more; this rule is the simple, explicit one, and the
  threshold is the scale's to set.)
- *Cut-off* (CSI-4): not a change but a status of the latest score, shown even with one
  score: below the cut-off or at or above it, with what the clinical side means.

A reliable deterioration sets ``deteriorated``: the caller raises a review flag for the care
team. With one score there is no change yet, and the summary says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from measures.scales import Point, Scale, in_order, plain_number
from portal.formatting import format_day

RESPONSE = "response"
REMISSION = "remission"
RELIABLE_IMPROVEMENT = "reliable_improvement"
RELIABLE_DETERIORATION = "reliable_deterioration"
BELOW_CUTOFF = "below_cutoff"
AT_OR_ABOVE_CUTOFF = "at_or_above_cutoff"


@dataclass(frozen=True)
class Outcome:
    """A rule the series meets: ``kind`` for code, ``name`` and ``rule`` for people."""

    kind: str
    name: str
    rule: str

    @property
    def text(self) -> str:
        """The line for the screen: ``Response: PHQ-9 down by at least 50% from the first
        score (from 16 to 7)``."""
        return f"{self.name}: {self.rule}"


@dataclass(frozen=True)
class Change:
    """What a series says, from its first score to its latest.

    ``difference`` is latest minus first (None with fewer than two scores: no change yet,
    which is not the same as no change). ``outcomes`` are the rules met, in a fixed order
    (response, remission, reliable improvement, reliable deterioration, cut-off status);
    ``rules`` every rule the scale is judged by, in words, for a note under the chart.
    """

    slug: str
    count: int
    baseline: Point | None
    latest: Point | None
    difference: int | None
    outcomes: tuple[Outcome, ...]
    rules: tuple[str, ...]
    summary: str
    deteriorated: bool

    def met(self, kind: str) -> bool:
        return any(outcome.kind == kind for outcome in self.outcomes)

    @property
    def has_change(self) -> bool:
        return self.difference is not None


def _points(count: int) -> str:
    return "1 point" if count == 1 else f"{count} points"


def _way(scale: Scale, *, better: bool) -> str:
    """The word for a move in the better or the worse direction on this scale."""
    return "up" if better == scale.higher_is_better else "down"


def rules_in_words(scale: Scale) -> tuple[str, ...]:
    """Every rule the scale is judged by, for the note beside the chart."""
    rules: list[str] = []
    if scale.response_drop_percent is not None:
        rules.append(f"Response: down by at least {scale.response_drop_percent}% from the "
                     f"first score")
    if scale.remission_below is not None:
        rules.append(f"Remission: below {scale.remission_below}, having started at "
                     f"{scale.remission_below} or above")
    if scale.reliable_change is not None:
        points = _points(scale.reliable_change)
        rules.append(f"Reliable improvement: {_way(scale, better=True)} by at least {points} "
                     f"from the first score")
        rules.append(f"Reliable deterioration: {_way(scale, better=False)} by at least "
                     f"{points} from the first score")
    if scale.cutoff is not None:
        side = "below it" if scale.higher_is_better else "at or above it"
        meaning = f" ({side} {scale.cutoff_label})" if scale.cutoff_label else ""
        rules.append(f"Cut-off: {plain_number(scale.cutoff)}{meaning}")
    return tuple(rules)


def _change_outcomes(scale: Scale, baseline: int, latest: int) -> list[Outcome]:
    outcomes: list[Outcome] = []
    title, journey = scale.title, f"(from {baseline} to {latest})"
    percent = scale.response_drop_percent
    if percent is not None and baseline > 0 and latest * 100 <= baseline * (100 - percent):
        outcomes.append(Outcome(RESPONSE, "Response",
                                f"{title} down by at least {percent}% from the first score "
                                f"{journey}"))
    below = scale.remission_below
    if below is not None and latest < below <= baseline:
        outcomes.append(Outcome(REMISSION, "Remission", f"{title} below {below} {journey}"))
    if scale.reliable_change is not None:
        gain = latest - baseline if scale.higher_is_better else baseline - latest
        points = _points(scale.reliable_change)
        if gain >= scale.reliable_change:
            outcomes.append(Outcome(
                RELIABLE_IMPROVEMENT, "Reliable improvement",
                f"{title} {_way(scale, better=True)} by at least {points} from the first "
                f"score {journey}"))
        elif -gain >= scale.reliable_change:
            outcomes.append(Outcome(
                RELIABLE_DETERIORATION, "Reliable deterioration",
                f"{title} {_way(scale, better=False)} by at least {points} from the first "
                f"score {journey}"))
    return outcomes


def _cutoff_outcome(scale: Scale, latest: int) -> Outcome | None:
    if scale.cutoff is None:
        return None
    cutoff = plain_number(scale.cutoff)
    meaning = f": {scale.cutoff_label}" if scale.cutoff_label and \
        scale.on_clinical_side(latest) else ""
    if latest < scale.cutoff:
        return Outcome(BELOW_CUTOFF, "Below the cut-off",
                       f"{scale.title} below {cutoff}{meaning} (latest {latest})")
    return Outcome(AT_OR_ABOVE_CUTOFF, "At or above the cut-off",
                   f"{scale.title} at or above {cutoff}{meaning} (latest {latest})")


def _summary(scale: Scale, baseline: Point, latest: Point, count: int) -> str:
    first = f"{baseline.total} on {format_day(baseline.taken_at)}"
    if count == 1:
        return f"No change yet: one {scale.title} score so far ({first})."
    last = f"{latest.total} on {format_day(latest.taken_at)}"
    difference = latest.total - baseline.total
    if difference == 0:
        return f"{scale.title} the same as the first score: {first}, {last}."
    way = "up" if difference > 0 else "down"
    return (f"{scale.title} {way} {_points(abs(difference))} from the first score "
            f"({first}) to {last}.")


def assess(scale: Scale, points: Iterable[Point]) -> Change:
    """Judge a series by its scale's rules, from its first score to its latest.

    The points are put in time order first. No points: an empty ``Change`` saying there are
    no scores yet. One point: no change yet (only the cut-off status, if the scale has
    one). ``deteriorated`` is True exactly when reliable deterioration is met: the review
    flag's rule.
    """
    series = in_order(points)
    rules = rules_in_words(scale)
    if not series:
        return Change(slug=scale.slug, count=0, baseline=None, latest=None, difference=None,
                      outcomes=(), rules=rules, summary=f"No {scale.title} scores yet.",
                      deteriorated=False)
    baseline, latest = series[0], series[-1]
    outcomes: list[Outcome] = []
    if len(series) > 1:
        outcomes.extend(_change_outcomes(scale, baseline.total, latest.total))
    cutoff = _cutoff_outcome(scale, latest.total)
    if cutoff is not None:
        outcomes.append(cutoff)
    return Change(
        slug=scale.slug,
        count=len(series),
        baseline=baseline,
        latest=latest,
        difference=latest.total - baseline.total if len(series) > 1 else None,
        outcomes=tuple(outcomes),
        rules=rules,
        summary=_summary(scale, baseline, latest, len(series)),
        deteriorated=any(o.kind == RELIABLE_DETERIORATION for o in outcomes),
    )
