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

from django.utils.translation import gettext, ngettext

from measures.scales import Point, Scale, in_order, spoken_number
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
        return gettext("%(name)s: %(rule)s") % {"name": self.name, "rule": self.rule}


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


def _reliable_rule(scale: Scale, *, better: bool) -> str:
    """The reliable improvement (``better``) or deterioration rule of the scale, in words:
    one sentence per direction, so each language words "up" and "down" its own way."""
    count = scale.reliable_change or 0
    up = better == scale.higher_is_better
    values = {"count": count}
    if better and up:
        return ngettext("Reliable improvement: up by at least %(count)s point from the "
                        "first score",
                        "Reliable improvement: up by at least %(count)s points from the "
                        "first score", count) % values
    if better:
        return ngettext("Reliable improvement: down by at least %(count)s point from the "
                        "first score",
                        "Reliable improvement: down by at least %(count)s points from the "
                        "first score", count) % values
    if up:
        return ngettext("Reliable deterioration: up by at least %(count)s point from the "
                        "first score",
                        "Reliable deterioration: up by at least %(count)s points from the "
                        "first score", count) % values
    return ngettext("Reliable deterioration: down by at least %(count)s point from the "
                    "first score",
                    "Reliable deterioration: down by at least %(count)s points from the "
                    "first score", count) % values


def rules_in_words(scale: Scale) -> tuple[str, ...]:
    """Every rule the scale is judged by, for the note beside the chart."""
    rules: list[str] = []
    if scale.response_drop_percent is not None:
        rules.append(gettext("Response: down by at least %(percent)s%% from the first score")
                     % {"percent": scale.response_drop_percent})
    if scale.remission_below is not None:
        rules.append(gettext("Remission: below %(threshold)s, having started at "
                             "%(threshold)s or above") % {"threshold": scale.remission_below})
    if scale.reliable_change is not None:
        rules.append(_reliable_rule(scale, better=True))
        rules.append(_reliable_rule(scale, better=False))
    if scale.cutoff is not None:
        values = {"cutoff": spoken_number(scale.cutoff), "meaning": scale.cutoff_label}
        if not scale.cutoff_label:
            rules.append(gettext("Cut-off: %(cutoff)s") % values)
        elif scale.higher_is_better:
            rules.append(gettext("Cut-off: %(cutoff)s (below it %(meaning)s)") % values)
        else:
            rules.append(gettext("Cut-off: %(cutoff)s (at or above it %(meaning)s)") % values)
    return tuple(rules)


def _reliable_outcome(scale: Scale, baseline: int, latest: int, *,
                      better: bool) -> Outcome:
    """Reliable improvement (``better``) or deterioration, met, with its rule in words."""
    count = scale.reliable_change or 0
    up = better == scale.higher_is_better
    values = {"title": scale.title, "count": count, "first": baseline, "latest": latest}
    if up:
        rule = ngettext("%(title)s up by at least %(count)s point from the first score "
                        "(from %(first)s to %(latest)s)",
                        "%(title)s up by at least %(count)s points from the first score "
                        "(from %(first)s to %(latest)s)", count) % values
    else:
        rule = ngettext("%(title)s down by at least %(count)s point from the first score "
                        "(from %(first)s to %(latest)s)",
                        "%(title)s down by at least %(count)s points from the first score "
                        "(from %(first)s to %(latest)s)", count) % values
    if better:
        return Outcome(RELIABLE_IMPROVEMENT, gettext("Reliable improvement"), rule)
    return Outcome(RELIABLE_DETERIORATION, gettext("Reliable deterioration"), rule)


def _change_outcomes(scale: Scale, baseline: int, latest: int) -> list[Outcome]:
    outcomes: list[Outcome] = []
    journey = {"title": scale.title, "first": baseline, "latest": latest}
    percent = scale.response_drop_percent
    if percent is not None and baseline > 0 and latest * 100 <= baseline * (100 - percent):
        outcomes.append(Outcome(
            RESPONSE, gettext("Response"),
            gettext("%(title)s down by at least %(percent)s%% from the first score "
                    "(from %(first)s to %(latest)s)") % {**journey, "percent": percent}))
    below = scale.remission_below
    if below is not None and latest < below <= baseline:
        outcomes.append(Outcome(
            REMISSION, gettext("Remission"),
            gettext("%(title)s below %(threshold)s (from %(first)s to %(latest)s)")
            % {**journey, "threshold": below}))
    if scale.reliable_change is not None:
        gain = latest - baseline if scale.higher_is_better else baseline - latest
        if gain >= scale.reliable_change:
            outcomes.append(_reliable_outcome(scale, baseline, latest, better=True))
        elif -gain >= scale.reliable_change:
            outcomes.append(_reliable_outcome(scale, baseline, latest, better=False))
    return outcomes


def _cutoff_outcome(scale: Scale, latest: int) -> Outcome | None:
    if scale.cutoff is None:
        return None
    values = {"title": scale.title, "cutoff": spoken_number(scale.cutoff),
              "meaning": scale.cutoff_label, "latest": latest}
    meaningful = bool(scale.cutoff_label) and scale.on_clinical_side(latest)
    if latest < scale.cutoff:
        rule = (gettext("%(title)s below %(cutoff)s: %(meaning)s (latest %(latest)s)")
                if meaningful else
                gettext("%(title)s below %(cutoff)s (latest %(latest)s)")) % values
        return Outcome(BELOW_CUTOFF, gettext("Below the cut-off"), rule)
    rule = (gettext("%(title)s at or above %(cutoff)s: %(meaning)s (latest %(latest)s)")
            if meaningful else
            gettext("%(title)s at or above %(cutoff)s (latest %(latest)s)")) % values
    return Outcome(AT_OR_ABOVE_CUTOFF, gettext("At or above the cut-off"), rule)


def _summary(scale: Scale, baseline: Point, latest: Point, count: int) -> str:
    values = {"title": scale.title, "first": baseline.total,
              "first_day": format_day(baseline.taken_at)}
    if count == 1:
        return gettext("No change yet: one %(title)s score so far (%(first)s on "
                       "%(first_day)s).") % values
    values |= {"latest": latest.total, "latest_day": format_day(latest.taken_at)}
    difference = latest.total - baseline.total
    if difference == 0:
        return gettext("%(title)s the same as the first score: %(first)s on %(first_day)s, "
                       "%(latest)s on %(latest_day)s.") % values
    values["count"] = abs(difference)
    if difference > 0:
        return ngettext("%(title)s up %(count)s point from the first score (%(first)s on "
                        "%(first_day)s) to %(latest)s on %(latest_day)s.",
                        "%(title)s up %(count)s points from the first score (%(first)s on "
                        "%(first_day)s) to %(latest)s on %(latest_day)s.",
                        abs(difference)) % values
    return ngettext("%(title)s down %(count)s point from the first score (%(first)s on "
                    "%(first_day)s) to %(latest)s on %(latest_day)s.",
                    "%(title)s down %(count)s points from the first score (%(first)s on "
                    "%(first_day)s) to %(latest)s on %(latest_day)s.",
                    abs(difference)) % values


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
                      outcomes=(), rules=rules,
                      summary=gettext("No %(title)s scores yet.") % {"title": scale.title},
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
