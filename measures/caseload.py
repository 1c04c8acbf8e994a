"""A clinician's caseload of scores: each client of theirs (individual records) with the
latest PHQ-9 and GAD-7, band, change since the first score and a sparkline, the ones whose
scores reliably worsened first. A fixed number of queries however many clients: the
clients, their baseline and latest points (``caseload_series``, with their data keys), the
open review flags and the schedules, each in one query.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from intake.api import InstrumentDefinition, UnknownInstrument, current_instrument
from measures.change import Change, assess
from measures.charts import Sparkline, sparkline
from measures.instrument_scales import scale_for
from measures.models import CheckInSchedule, MeasureResponse
from measures.review_flags import open_flags
from measures.scales import Point, Scale
from measures.series import CaseloadSeries, SeriesPoint, caseload_series
from portal.access import client_accounts
from portal.models import CareAssignment, PracticeSettings, User

# The instruments of an individual record the caseload shows, as columns.
CASELOAD_INSTRUMENTS = ("phq9", "gad7")
# More clients than this are not listed at once (a practice admin sees every client).
CASELOAD_LIMIT = 500
SORTS: dict[str, Promise] = {
    "attention": _("Needs attention first"),
    "name": _("Name"),
    "phq9": _("Latest PHQ-9, highest first"),
    "gad7": _("Latest GAD-7, highest first"),
    "change": _("Most worsened first"),
}
DEFAULT_SORT = "attention"


@dataclass(frozen=True)
class CaseloadCell:
    """One instrument of one client: the latest score, the change since the first, and
    the sparkline of the latest points."""

    title: str
    latest: SeriesPoint
    baseline: SeriesPoint
    change: Change
    sparkline: Sparkline | None
    worsened_by: int  # points worse than the first score (negative: better)
    # The latest score's band in the reader's language (stored in the default one).
    latest_band: str = ""

    @property
    def difference(self) -> int | None:
        return self.change.difference

    @property
    def fall(self) -> int:
        """How many points the latest score is below the first (the page says "down 3")."""
        return -(self.change.difference or 0)


@dataclass(frozen=True)
class CaseloadRow:
    client_id: uuid.UUID
    label: str
    cells: tuple[CaseloadCell | None, ...]  # in CASELOAD_INSTRUMENTS order
    flagged: bool  # an open review flag: a reliable deterioration nobody has reviewed
    next_due_at: datetime | None
    paused: bool

    @property
    def latest_at(self) -> datetime | None:
        times = [cell.latest.taken_at for cell in self.cells if cell is not None]
        return max(times) if times else None

    @property
    def deteriorated(self) -> bool:
        return any(cell is not None and cell.change.deteriorated for cell in self.cells)


@dataclass(frozen=True)
class Caseload:
    rows: list[CaseloadRow]
    titles: tuple[str, ...]
    more: int  # clients left out past CASELOAD_LIMIT


def caseload_clients(viewer: User) -> QuerySet[User]:
    """The clients whose individual record ``viewer`` may open and who have scores or an
    active check-in schedule there (plaintext only)."""
    clients = client_accounts()
    if not (viewer.is_superuser or viewer.has_perm("portal.see_all_clients")):
        clients = clients.filter(Exists(CareAssignment.objects.filter(
            client=OuterRef("pk"), clinician=viewer)))
    measured = (Exists(MeasureResponse.objects.filter(client=OuterRef("pk"),
                                                      case__isnull=True))
                | Exists(CheckInSchedule.objects.filter(client=OuterRef("pk"),
                                                        case__isnull=True, active=True)))
    return clients.filter(measured, is_active=True)


def _cell(scale: Scale, definition: InstrumentDefinition,
          found: CaseloadSeries | None) -> CaseloadCell | None:
    if found is None:
        return None
    recent = [Point(p.taken_at, p.total, p.band) for p in found.recent]
    baseline = Point(found.baseline.taken_at, found.baseline.total, found.baseline.band)
    alone = found.recent[-1].id == found.baseline.id  # one score so far
    change = assess(scale, [baseline] if alone else [baseline, recent[-1]])
    difference = change.difference or 0
    return CaseloadCell(
        title=scale.title, latest=found.recent[-1], baseline=found.baseline, change=change,
        sparkline=sparkline(scale, recent),
        worsened_by=-difference if scale.higher_is_better else difference,
        latest_band=definition.band_label(found.recent[-1].total, found.recent[-1].band),
    )


def _sort_key(sort: str) -> Callable[[CaseloadRow], Any]:
    def latest_total(row: CaseloadRow, index: int) -> int:
        cell = row.cells[index]
        return -cell.latest.total if cell is not None else 1

    if sort == "name":
        return lambda row: (row.label.lower(), str(row.client_id))
    if sort in CASELOAD_INSTRUMENTS:
        index = CASELOAD_INSTRUMENTS.index(sort)
        return lambda row: (latest_total(row, index), row.label.lower())
    if sort == "change":
        return lambda row: (-max((c.worsened_by for c in row.cells if c is not None),
                                 default=-10**6), row.label.lower())
    return lambda row: (not row.flagged, not row.deteriorated,
                        -(row.latest_at.timestamp() if row.latest_at else 0),
                        row.label.lower())


def caseload(viewer: User, *, sort: str = DEFAULT_SORT) -> Caseload:
    """The caseload of ``viewer``, sorted by ``sort`` (one of ``SORTS``; anything else is
    the default: clients with an open review flag or a reliable deterioration first, then
    the most recently measured). Decrypts each listed client's first and latest points;
    the caller records the opening for each client (``audited_read_of_each``)."""
    practice = PracticeSettings.load()
    scales, definitions = {}, {}
    for slug in CASELOAD_INSTRUMENTS:
        try:
            definitions[slug] = current_instrument(slug)
        except UnknownInstrument:
            continue
        scales[slug] = scale_for(definitions[slug], practice)
    clients = list(caseload_clients(viewer).only("id", "email", "display_name")
                   .order_by("email")[:CASELOAD_LIMIT + 1])
    more = 0
    if len(clients) > CASELOAD_LIMIT:
        more = caseload_clients(viewer).count() - CASELOAD_LIMIT
        clients = clients[:CASELOAD_LIMIT]
    ids = [client.pk for client in clients]
    found = caseload_series(ids, list(scales))
    flagged = set(open_flags().filter(client_id__in=ids, case__isnull=True)
                  .values_list("client_id", flat=True))
    schedules = {s.client_id: s for s in CheckInSchedule.objects.filter(
        Q(client_id__in=ids), case__isnull=True, active=True).only(
        "id", "client_id", "next_due_at", "paused_at")}
    rows = []
    for client in clients:
        schedule = schedules.get(client.pk)
        rows.append(CaseloadRow(
            client_id=client.pk, label=client.display_name or client.email,
            cells=tuple(_cell(scales[slug], definitions[slug], found.get((client.pk, slug)))
                        if slug in scales
                        else None for slug in CASELOAD_INSTRUMENTS),
            flagged=client.pk in flagged,
            next_due_at=schedule.next_due_at if schedule else None,
            paused=bool(schedule and schedule.paused_at),
        ))
    titles = tuple(scales[slug].title if slug in scales else slug
                   for slug in CASELOAD_INSTRUMENTS)
    rows.sort(key=_sort_key(sort if sort in SORTS else DEFAULT_SORT))
    return Caseload(rows=rows, titles=titles, more=more)
