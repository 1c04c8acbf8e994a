"""Reading series: a client's points on one instrument, and the few points a caseload
needs of each client. Every read decrypts (totals and bands are encrypted), so each
fetches its rows in one query and their data keys in one more (``with_data_keys``),
however many points or clients; callers record the opening on the audit trail (a trend or
caseload opened is a reading of clinical content)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber

from measures.models import MeasureResponse
from measures.scales import Scale

# Points of each client a caseload row shows in its sparkline (the latest ones).
SPARKLINE_POINTS = 12


@dataclass(frozen=True)
class SeriesPoint:
    """One decrypted point of a series."""

    id: uuid.UUID
    instrument: str
    version: str
    taken_at: datetime
    total: int
    band: str
    source: str


def named_bands(scale: Scale, points: Iterable[SeriesPoint]) -> tuple[SeriesPoint, ...]:
    """``points`` with each band named as ``scale`` names it, in the reader's language: a
    stored point keeps its band in the default language (``intake.scoring``), which is
    for the record, not for a page."""
    return tuple(replace(point, band=scale.band_label(point.total, point.band))
                 for point in points)


def _point(response: MeasureResponse) -> SeriesPoint:
    return SeriesPoint(response.id, response.instrument, response.instrument_version,
                       response.taken_at, response.total, response.band, response.source)


def _record(case_id: uuid.UUID | None) -> Q:
    return Q(case__isnull=True) if case_id is None else Q(case_id=case_id)


def series(client_id: uuid.UUID, instrument: str,
           case_id: uuid.UUID | None = None) -> list[SeriesPoint]:
    """The client's points on ``instrument`` in their individual record (``case_id``
    None) or in a couple or family case, oldest first: one query for the rows, one for
    the data key. Decrypts every point; the caller has checked access and records the
    reading."""
    rows = (MeasureResponse.objects
            .filter(_record(case_id), client_id=client_id, instrument=instrument)
            .only("id", "client_id", "instrument", "instrument_version", "taken_at",
                  "source", "total", "band")
            .order_by("taken_at", "id")
            .with_data_keys())
    return [_point(row) for row in rows]


def instruments_with_points(client_id: uuid.UUID, case_id: uuid.UUID | None = None) -> list[str]:
    """The instruments the client has at least one point on, in that record (plaintext
    only: nothing is decrypted)."""
    return sorted(set(MeasureResponse.objects.filter(_record(case_id), client_id=client_id)
                      .values_list("instrument", flat=True)))


@dataclass(frozen=True)
class CaseloadSeries:
    """What a caseload row needs of one client's series: the first point (the baseline)
    and the latest ones, oldest first (the latest is the last)."""

    client_id: uuid.UUID
    instrument: str
    baseline: SeriesPoint
    recent: tuple[SeriesPoint, ...]


def caseload_series(client_ids: Sequence[uuid.UUID], instruments: Iterable[str],
                    *, last: int = SPARKLINE_POINTS) -> dict[tuple[uuid.UUID, str],
                                                            CaseloadSeries]:
    """For each client's individual record and each instrument they have points on: the
    baseline and the ``last`` latest points, in two queries whatever the number of clients
    (the rows, ranked from both ends by a window function, and their data keys). Only
    those points are decrypted, not two years of weekly scores per client."""
    ranked = (MeasureResponse.objects
              .filter(case__isnull=True, client_id__in=list(client_ids),
                      instrument__in=list(instruments))
              .annotate(
                  from_start=Window(RowNumber(), partition_by=[F("client_id"), F("instrument")],
                                    order_by=[F("taken_at").asc(), F("id").asc()]),
                  from_end=Window(RowNumber(), partition_by=[F("client_id"), F("instrument")],
                                  order_by=[F("taken_at").desc(), F("id").desc()]))
              .filter(Q(from_start=1) | Q(from_end__lte=last))
              .only("id", "client_id", "instrument", "instrument_version", "taken_at",
                    "source", "total", "band")
              .with_data_keys())
    grouped: dict[tuple[uuid.UUID, str], list[SeriesPoint]] = defaultdict(list)
    for row in ranked:
        grouped[(row.client_id, row.instrument)].append(_point(row))
    result = {}
    for (client_id, instrument), points in grouped.items():
        points.sort(key=lambda p: (p.taken_at, p.id))
        result[(client_id, instrument)] = CaseloadSeries(
            client_id, instrument, points[0], tuple(points[-last:]))
    return result
