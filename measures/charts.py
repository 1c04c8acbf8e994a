"""A client's series drawn on its instrument's bands: the trend chart, the caseload's
sparkline and the data table beside the chart.

Pure geometry, no markup (the templates ``measures/_trend_chart.html``, ``_sparkline.html``
and ``_trend_table.html`` draw inline SVG and HTML from these numbers). The strict CSP
allows presentation attributes and classes, never ``style`` or script, and nothing is
fetched from anywhere: the picture is the server's.

The vertical axis works as ``intake.score_scales`` does across: every possible total
(``min_total`` to ``max_total``) is one equal cell, a band covers its totals' cells, and a
point stands in the middle of its total's cell, so a score of 5 is plainly inside "Mild"
and not on the line between two bands. The bands together cover the plot from the bottom
to the top exactly. Time runs left to right: points are placed by when they were taken,
except when all of them fall on one day (then by their order, evenly), and the axis names
a handful of evenly spaced dates ("3 Dec 2026"; "Dec 2026" over half a year or more).

The SVG's ``<title>`` and ``<desc>`` say what it shows in words ("PHQ-9 from 16 on 3 Mar
2026 to 7 on 2 Jun 2026, 3 scores"); the table is the accessible equivalent, score by score.
A chart whose scores do not fit the scale (a total outside its range) is not drawn at all
(None): better no picture than a wrong one, and the table still says it all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext

from measures.scales import Point, Scale, in_order, plain_number, spoken_number
from portal.formatting import format_day, format_iso, in_practice_zone

TREND_WIDTH, TREND_HEIGHT = 640, 260
SPARK_WIDTH, SPARK_HEIGHT = 100, 24
# Room for the score labels on the left, the dates below, and a point's circle at either end.
_LEFT, _RIGHT, _TOP, _BOTTOM = 40.0, 16.0, 10.0, 34.0
_POINT_INSET = 8.0
_SPARK_PAD = 3.0
# At most this many dates under the axis, one per this many units of width at least: a date
# ("13 Dec 2026") is about 60 units wide at the axis's font size.
_MAX_DATES, _DATE_SPACING = 5, 120.0
# Over this span the axis names months, not days.
_MONTHS_FROM = timedelta(days=180)
# Band colours from the mildest band (0) to the most severe (4), the classes
# ``score-tone-0`` to ``score-tone-4`` of the score scale on the intake page.
_TONES = 5


@dataclass(frozen=True)
class TrendBand:
    label: str
    minimum: int
    maximum: int
    y: str
    height: str
    tone: int
    lang: str = ""  # the label's language where it is not the reader's (``ScaleBand.lang``)


@dataclass(frozen=True)
class TrendTick:
    """A score named on the vertical axis (each band's lowest total, and the top)."""

    value: int
    y: str


@dataclass(frozen=True)
class DateLabel:
    x: str
    text: str
    anchor: str  # text-anchor: "start", "middle" or "end", so no date leaves the picture
    iso: str


@dataclass(frozen=True)
class ChartPoint:
    x: str
    y: str
    total: int
    band: str
    day: str
    label: str  # "16 on 3 Mar 2026, Moderately severe": the point's tooltip
    latest: bool


@dataclass(frozen=True)
class Cutoff:
    y: str
    label: str  # "Cut-off 13.5", at the left end of the line, just above it
    label_x: str
    label_y: str


@dataclass(frozen=True)
class TrendChart:
    """Everything ``measures/_trend_chart.html`` draws (context variable ``chart``)."""

    dom_id: str  # prefix of the ids of <title> and <desc>, unique on the page
    title: str
    description: str
    view_box: str
    plot_left: str
    plot_right: str
    plot_top: str
    plot_bottom: str
    plot_width: str
    tick_label_x: str
    date_label_y: str
    bands: tuple[TrendBand, ...]
    ticks: tuple[TrendTick, ...]
    cutoff: Cutoff | None
    polyline: str
    points: tuple[ChartPoint, ...]
    latest: ChartPoint
    dates: tuple[DateLabel, ...]


@dataclass(frozen=True)
class Sparkline:
    """Everything ``measures/_sparkline.html`` draws (context variable ``sparkline``)."""

    aria_label: str
    view_box: str
    width: str
    polyline: str
    latest_x: str
    latest_y: str
    cutoff_y: str | None
    count: int


@dataclass(frozen=True)
class TrendRow:
    taken_at: datetime
    total: int
    band: str
    change: str  # "First score", "Down 9", "Up 3", "No change"
    band_lang: str = ""  # the band's language where it is not the reader's


@dataclass(frozen=True)
class TrendTable:
    """What ``measures/_trend_table.html`` lists (context variable ``table``)."""

    dom_id: str  # the caption's id, naming the table's scrolling region
    caption: str
    rows: tuple[TrendRow, ...]


def _tone(index: int, count: int) -> int:
    """The colour of the ``index``-th band from the mildest: the mildest always tone 0, the
    most severe always the last tone, the rest spread between."""
    if count <= 1:
        return 0
    if index == count - 1:
        return _TONES - 1
    if count <= _TONES:
        return index
    return round(index * (_TONES - 1) / (count - 1))


def _tones(scale: Scale) -> list[int]:
    # Bands run from the lowest totals up; where a higher total is better, the lowest band is
    # the most severe.
    count = len(scale.bands)
    order = range(count - 1, -1, -1) if scale.higher_is_better else range(count)
    return [_tone(severity, count) for severity in order]


def _fits(scale: Scale, series: Sequence[Point]) -> bool:
    return all(scale.contains(point.total) for point in series)


def _same_day(series: Sequence[Point]) -> bool:
    first, last = series[0].taken_at, series[-1].taken_at
    return in_practice_zone(first).date() == in_practice_zone(last).date()


def _x_positions(series: Sequence[Point], start: float, end: float) -> list[float]:
    """Each point's x: by time between ``start`` and ``end``; by order, evenly, when all
    fall on one day; one point in the middle."""
    if len(series) == 1:
        return [(start + end) / 2]
    if _same_day(series):
        step = (end - start) / (len(series) - 1)
        return [start + index * step for index in range(len(series))]
    first = series[0].taken_at
    span = (series[-1].taken_at - first).total_seconds()
    return [start + (point.taken_at - first).total_seconds() / span * (end - start)
            for point in series]


def _month(value: datetime) -> str:
    """``Dec 2026`` in the practice's zone, for the axis of a long series (the month name
    through Django's catalogue, as ``portal.formatting`` does for days; the layout is the
    language's own: Spanish writes ``dic 2026``)."""
    # Translators: a Django date format (https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date)
    # for a month under a chart's time axis: "M Y" is "Dec 2026"; "b Y" is "dic 2026".
    layout = pgettext("date format of a month on a chart axis", "M Y")
    return date_format(in_practice_zone(value), layout)


def _dates(series: Sequence[Point], start: float, end: float,
           xs: Sequence[float]) -> tuple[DateLabel, ...]:
    """A handful of evenly spaced dates under the axis, none repeated, none overlapping."""
    first, last = series[0].taken_at, series[-1].taken_at
    if len(series) == 1 or _same_day(series):
        middle = xs[0] if len(series) == 1 else (start + end) / 2
        return (DateLabel(plain_number(round(middle, 2)), format_day(first), "middle",
                          format_iso(first)),)
    span = last - first
    fmt = _month if span >= _MONTHS_FROM else format_day
    count = int(max(2, min(_MAX_DATES, (end - start) // _DATE_SPACING + 1)))
    labels: list[DateLabel] = []
    for index in range(count):
        moment = first + span * index / (count - 1)
        text = fmt(moment)
        if labels and labels[-1].text == text:
            continue
        anchor = "start" if index == 0 else "end" if index == count - 1 else "middle"
        x = start + (end - start) * index / (count - 1)
        labels.append(DateLabel(plain_number(round(x, 2)), text, anchor, format_iso(moment)))
    return tuple(labels)


def _description(scale: Scale, series: Sequence[Point]) -> str:
    """The chart in words: the series in one sentence, then the cut-off line's, if any."""
    first, last = series[0], series[-1]
    if len(series) == 1:
        values = {"title": scale.title, "total": first.total,
                  "day": format_day(first.taken_at), "band": first.band}
        text = (gettext("%(title)s: one score, %(total)s on %(day)s (%(band)s).") % values
                if first.band else
                gettext("%(title)s: one score, %(total)s on %(day)s.") % values)
    else:
        totals = [point.total for point in series]
        text = ngettext(
            "%(title)s from %(first)s on %(first_day)s to %(last)s on %(last_day)s, "
            "%(count)s score (lowest %(lowest)s, highest %(highest)s).",
            "%(title)s from %(first)s on %(first_day)s to %(last)s on %(last_day)s, "
            "%(count)s scores (lowest %(lowest)s, highest %(highest)s).",
            len(series),
        ) % {"title": scale.title, "first": first.total,
             "first_day": format_day(first.taken_at), "last": last.total,
             "last_day": format_day(last.taken_at), "count": len(series),
             "lowest": min(totals), "highest": max(totals)}
    if scale.cutoff is None:
        return text
    cutoff = gettext("Cut-off line at %(cutoff)s.") % {"cutoff": spoken_number(scale.cutoff)}
    return f"{text} {cutoff}"


def _chart_point(point: Point, *, x: float, y: float, latest: bool) -> ChartPoint:
    day = format_day(point.taken_at)  # once: formatting a day is the chart's main cost
    values = {"total": point.total, "day": day, "band": point.band}
    label = (gettext("%(total)s on %(day)s, %(band)s") % values if point.band
             else gettext("%(total)s on %(day)s") % values)
    return ChartPoint(
        x=plain_number(round(x, 2)), y=plain_number(round(y, 2)), total=point.total,
        band=point.band, day=day, label=label, latest=latest,
    )


def trend_chart(scale: Scale, points: Iterable[Point], *, width: int = TREND_WIDTH,
                height: int = TREND_HEIGHT, dom_id: str | None = None) -> TrendChart | None:
    """The chart of a series on its scale, oldest score on the left; None when there are no
    points or a total lies outside the scale. ``dom_id`` (default ``trend-<slug>``) must be
    unique on the page: the SVG is labelled by ``<dom_id>-title`` and ``<dom_id>-desc``."""
    series = in_order(points)
    if not series or not _fits(scale, series):
        return None
    left, right, top, bottom = _LEFT, width - _RIGHT, _TOP, height - _BOTTOM
    low, high = scale.min_total - 0.5, scale.max_total + 0.5

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    def edge(value: int) -> float:
        # The border below ``value``'s cell, rounded once so a band ends exactly where the
        # next begins.
        return round(y_of(value - 0.5), 2)

    tones = _tones(scale)
    bands = tuple(
        TrendBand(label=band.label, minimum=band.minimum, maximum=band.maximum,
                  y=plain_number(edge(band.maximum + 1)),
                  height=plain_number(round(edge(band.minimum) - edge(band.maximum + 1), 2)),
                  tone=tones[index], lang=band.lang)
        for index, band in enumerate(scale.bands)
    )
    tick_values = sorted({band.minimum for band in scale.bands} | {scale.max_total})
    ticks = tuple(TrendTick(value, plain_number(round(y_of(value), 2))) for value in tick_values)
    cutoff = None
    if scale.cutoff is not None:
        cutoff_y = y_of(scale.cutoff)
        cutoff = Cutoff(y=plain_number(round(cutoff_y, 2)),
                        label=gettext("Cut-off %(cutoff)s")
                        % {"cutoff": spoken_number(scale.cutoff)},
                        label_x=plain_number(left + 4),
                        label_y=plain_number(round(cutoff_y - 4, 2)))
    start, end = left + _POINT_INSET, right - _POINT_INSET
    xs = _x_positions(series, start, end)
    chart_points = tuple(
        _chart_point(point, x=x, y=y_of(point.total), latest=index == len(series) - 1)
        for index, (x, point) in enumerate(zip(xs, series, strict=True))
    )
    return TrendChart(
        dom_id=dom_id or f"trend-{scale.slug}",
        title=gettext("%(title)s scores over time") % {"title": scale.title},
        description=_description(scale, series),
        view_box=f"0 0 {width} {height}",
        plot_left=plain_number(left), plot_right=plain_number(right),
        plot_top=plain_number(top), plot_bottom=plain_number(bottom),
        plot_width=plain_number(right - left),
        tick_label_x=plain_number(left - 6), date_label_y=plain_number(height - 12),
        bands=bands, ticks=ticks, cutoff=cutoff,
        polyline=" ".join(f"{p.x},{p.y}" for p in chart_points),
        points=chart_points, latest=chart_points[-1],
        dates=_dates(series, start, end, xs),
    )


def sparkline(scale: Scale, points: Iterable[Point], *, width: int = SPARK_WIDTH,
              height: int = SPARK_HEIGHT) -> Sparkline | None:
    """A tiny line of the series for the caseload (no axes, the latest score marked), its
    accessible name saying what it shows; None when there are no points or a total lies
    outside the scale."""
    series = in_order(points)
    if not series or not _fits(scale, series):
        return None
    top, bottom = _SPARK_PAD, height - _SPARK_PAD

    def y_of(value: float) -> float:
        share = (value - scale.min_total) / (scale.max_total - scale.min_total)
        return round(bottom - share * (bottom - top), 2)

    xs = _x_positions(series, _SPARK_PAD, width - _SPARK_PAD)
    coordinates = [(plain_number(round(x, 2)), plain_number(y_of(point.total)))
                   for x, point in zip(xs, series, strict=True)]
    return Sparkline(
        aria_label=_sparkline_label(scale, series),
        view_box=f"0 0 {width} {height}",
        width=str(width),
        polyline=" ".join(f"{x},{y}" for x, y in coordinates),
        latest_x=coordinates[-1][0], latest_y=coordinates[-1][1],
        cutoff_y=plain_number(y_of(scale.cutoff)) if scale.cutoff is not None else None,
        count=len(series),
    )


def _sparkline_label(scale: Scale, series: Sequence[Point]) -> str:
    """A sparkline's accessible name: what it shows, in one phrase."""
    first, last = series[0], series[-1]
    values = {"title": scale.title, "count": len(series), "first": first.total,
              "first_day": format_day(first.taken_at), "total": last.total,
              "band": last.band, "day": format_day(last.taken_at)}
    if len(series) == 1:
        if last.band:
            return gettext("%(title)s: one score, %(total)s (%(band)s) on %(day)s") % values
        return gettext("%(title)s: one score, %(total)s on %(day)s") % values
    if last.band:
        return ngettext(
            "%(title)s, %(count)s score: %(first)s on %(first_day)s to %(total)s (%(band)s) "
            "on %(day)s",
            "%(title)s, %(count)s scores: %(first)s on %(first_day)s to %(total)s (%(band)s) "
            "on %(day)s",
            len(series)) % values
    return ngettext(
        "%(title)s, %(count)s score: %(first)s on %(first_day)s to %(total)s on %(day)s",
        "%(title)s, %(count)s scores: %(first)s on %(first_day)s to %(total)s on %(day)s",
        len(series)) % values


def _change_words(difference: int) -> str:
    """A row's change from the first score: "No change", "Up 3", "Down 9"."""
    if difference == 0:
        return gettext("No change")
    if difference > 0:
        return gettext("Up %(points)s") % {"points": difference}
    return gettext("Down %(points)s") % {"points": -difference}


def trend_table(scale: Scale, points: Iterable[Point], *,
                dom_id: str | None = None) -> TrendTable | None:
    """The chart's accessible equivalent: every score, oldest first, with its band and its
    change from the first score. None when there are no points. Unlike the chart it lists
    any total as recorded. ``dom_id`` (default ``trend-<slug>-table``) is the caption's id,
    unique on the page."""
    series = in_order(points)
    if not series:
        return None
    baseline = series[0].total
    rows = tuple(
        TrendRow(taken_at=point.taken_at, total=point.total, band=point.band,
                 change=(gettext("First score") if index == 0
                         else _change_words(point.total - baseline)),
                 band_lang=scale.band_lang(point.total))
        for index, point in enumerate(series)
    )
    return TrendTable(dom_id=dom_id or f"trend-{scale.slug}-table",
                      caption=gettext("%(title)s scores, oldest first") % {"title": scale.title},
                      rows=rows)
