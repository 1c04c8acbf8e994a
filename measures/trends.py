"""A record's trends, ready for a page: for each instrument the client has scores on, the
decrypted series, its chart, table and change, and its open review flag. Shared by the
staff trend page and the client's own progress page, so both draw the same picture from
the same rules. Decrypts every point it shows: callers read it through
``portal.audit.reads`` (staff) or for the client themselves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Q

from intake.api import InstrumentDefinition, UnknownInstrument, current_instrument
from measures.change import Change, assess
from measures.charts import TrendChart, TrendTable, trend_chart, trend_table
from measures.exports.pdf import meaning
from measures.instrument_scales import scale_for
from measures.models import ReviewFlag
from measures.review_flags import open_flags
from measures.scales import Point, Scale
from measures.series import SeriesPoint, instruments_with_points, series
from portal.i18n.texts import lowered
from portal.models import PracticeSettings

# The order instruments are shown in; any other comes after, by slug.
INSTRUMENT_ORDER = ("phq9", "gad7", "csi4")


@dataclass(frozen=True)
class InstrumentTrend:
    slug: str
    title: str
    meaning: str  # which way is better, in one plain sentence ("Lower scores mean ...")
    scale: Scale
    definition: InstrumentDefinition
    points: tuple[SeriesPoint, ...]
    chart: TrendChart | None
    table: TrendTable | None
    change: Change
    open_flag: ReviewFlag | None

    @property
    def latest(self) -> SeriesPoint:
        return self.points[-1]

    @property
    def latest_band(self) -> str:
        """The latest score's band for the middle of a sentence: lower-cased, in the
        reader's language where the definition has it (stored in the default one), and
        knowing its language (``portal.i18n.texts``)."""
        return lowered(self.definition.band_label(self.latest.total, self.latest.band))


def shown_in_order(slugs: list[str]) -> list[str]:
    known = [slug for slug in INSTRUMENT_ORDER if slug in slugs]
    return known + sorted(slug for slug in slugs if slug not in INSTRUMENT_ORDER)


def record_trends(client_id: uuid.UUID, case_id: uuid.UUID | None = None, *,
                  dom_prefix: str = "trend") -> list[InstrumentTrend]:
    """Every instrument's trend in the client's individual record (``case_id`` None) or
    in one couple or family case: decrypts each series (one query and one key fetch per
    instrument). An instrument the portal no longer knows is left out rather than drawn on
    a guessed scale."""
    practice = PracticeSettings.load()
    record = Q(case__isnull=True) if case_id is None else Q(case_id=case_id)
    flags = {flag.response.instrument: flag for flag in open_flags().filter(
        record, client_id=client_id).select_related("response").only(
        "id", "client_id", "case_id", "raised_at", "response__id", "response__instrument")}
    trends = []
    for slug in shown_in_order(instruments_with_points(client_id, case_id)):
        try:
            definition = current_instrument(slug)
        except UnknownInstrument:
            continue
        scale = scale_for(definition, practice)
        points = tuple(series(client_id, slug, case_id))
        # Each band in the reader's language (stored in the definition's default one).
        drawn = [Point(p.taken_at, p.total, definition.band_label(p.total, p.band))
                 for p in points]
        dom_id = f"{dom_prefix}-{slug}"
        trends.append(InstrumentTrend(
            slug=slug, title=scale.title, meaning=meaning(definition), scale=scale,
            definition=definition,
            points=points, chart=trend_chart(scale, drawn, dom_id=dom_id),
            table=trend_table(scale, drawn, dom_id=f"{dom_id}-table"),
            change=assess(scale, drawn), open_flag=flags.get(slug),
        ))
    return trends
