"""Intake reads for staff: which intakes a staff member may list, in what order, and which
safety alerts are open (the selectors every page showing open alerts uses). Plaintext
columns only: nothing here decrypts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from intake.models import Intake, IntakeState, SafetyAlert, with_questionnaire
from portal.access import case_record_filter
from portal.models import User

# The order of the list: what needs a clinician now, then what is ready to read, then what
# is still being filled in.
_NEEDS_REVIEW, _SUBMITTED, _DRAFT = 0, 1, 2
# Open safety alerts listed on the staff home; the rest are counted and on the intake list.
ALERTS_ON_HOME = 25


def person_label(user: User | None) -> str:
    """A name staff recognise: the display name, else the login email (both plaintext)."""
    if user is None:
        return gettext("a former staff member")
    return user.display_name or user.email


def open_safety_alerts() -> QuerySet[SafetyAlert]:
    """Every safety alert no one has acknowledged yet, whoever may see it: for callers that
    narrow it to what their viewer may open (a subquery per client or per intake)."""
    return SafetyAlert.objects.filter(closed_at__isnull=True)


def alerts_visible_to(user: User) -> QuerySet[SafetyAlert]:
    """Every safety alert, open or closed, of a record ``user`` may open: the alert's client
    and case decide, as for any record kept per case (``case_record_filter``: a clinician
    sees their care team's clients' individual records and their cases' records; an admin
    every one), whether an intake or a check-in raised it."""
    return SafetyAlert.objects.filter(case_record_filter(user))


def open_alerts_of_caseload(user: User) -> QuerySet[SafetyAlert]:
    """The open safety alerts of the records ``user`` may open (``alerts_visible_to``),
    intake drafts and check-ins included. Plaintext columns only: nothing is decrypted."""
    return alerts_visible_to(user).filter(closed_at__isnull=True)


@dataclass(frozen=True)
class AlertRow:
    alert_id: Any
    intake_id: Any  # None for a check-in's alert
    client_label: str
    since: datetime
    submitted: bool  # the intake was sent (always True for a check-in's alert)

    @property
    def from_check_in(self) -> bool:
        return self.intake_id is None


@dataclass(frozen=True)
class OpenAlerts:
    rows: list[AlertRow]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)

    @property
    def has_check_ins(self) -> bool:
        """Some listed alert was raised by a check-in (the heading then counts answers,
        not intakes)."""
        return any(row.from_check_in for row in self.rows)


def open_alerts_for(user: User, limit: int = ALERTS_ON_HOME) -> OpenAlerts:
    """The open safety alerts ``user`` may open, longest-waiting first, for the top of the
    staff home: at most ``limit`` rows (two queries whatever the number, each row with its
    intake and client joined) and the total. Plaintext only: the client's display name or
    login email and timestamps; nothing is decrypted, so nothing is recorded."""
    alerts = list(
        open_alerts_of_caseload(user)
        .select_related("client", "intake")
        .only("id", "raised_at", "intake_id", "client_id", "intake__id", "intake__state",
              "intake__created_at", "client__email", "client__display_name")
        .order_by("raised_at", "intake__created_at", "id")[:limit]
    )
    total = len(alerts) if len(alerts) < limit else open_alerts_of_caseload(user).count()
    return OpenAlerts(
        rows=[AlertRow(alert.id, alert.intake_id, person_label(alert.client), alert.raised_at,
                       alert.intake.is_submitted if alert.intake is not None else True)
              for alert in alerts],
        total=total,
    )


def visible_intakes(user: User) -> QuerySet[Intake]:
    """Every intake ``user`` may open (``portal.access.case_record_filter``: a care team's
    individual intakes, a case's care team's case intakes), those with an open safety alert first
    (a client who told us about current risk in a draft must be seen even if they never
    submit), then submitted newest first, then drafts by latest activity. Each with its
    alert (if any) and who closed it joined. The encrypted columns are not even loaded.
    """
    group = Case(
        When(Q(safety_alert__isnull=False, safety_alert__closed_at__isnull=True),
             then=Value(_NEEDS_REVIEW)),
        When(state=IntakeState.SUBMITTED, then=Value(_SUBMITTED)),
        default=Value(_DRAFT),
        output_field=IntegerField(),
    )
    return (
        Intake.objects.filter(case_record_filter(user))
        .defer("answers", "scores")
        .select_related("client", "safety_alert__closed_by", "reviewed_by")
        .annotate(review_group=group, last_activity=Coalesce("submitted_at", "updated_at"))
        .order_by("review_group", "-last_activity", "-created_at", "id")
    )


def intakes_in_order(user: User, ids: list[Any]) -> list[Intake]:
    """The intakes ``ids`` (one page of ``visible_intakes(user).values_list("pk")``), in
    that order, each with what the list shows joined: the second of a page's two queries.

    A page is found by sorting narrow rows (ids and sort keys) and loaded by id, so the
    database never sorts thousands of wide joined rows to keep fifty (issue 21, "Scale":
    at 10,000 clients its sorting query went from 47 ms to 9). Still narrowed by
    ``visible_intakes``: an id the user may not open is never loaded."""
    loaded = with_questionnaire(visible_intakes(user)).in_bulk(ids)
    return [loaded[pk] for pk in ids if pk in loaded]


@dataclass(frozen=True)
class IntakeStanding:
    """Where a client stands with their intake, for their home page: ``not_started``,
    ``in_progress`` (a draft exists) or ``submitted`` (sent, with no newer draft)."""

    state: str
    submitted_at: datetime | None = None


def intake_standing(client: User, case_id: Any = None) -> IntakeStanding:
    """The client's own intake state in their individual record (``case_id`` None) or in
    a couple or family case, from plaintext columns only (nothing is decrypted and nothing
    is recorded). A draft wins over an earlier submission: there is something to carry on
    with."""
    own = Intake.objects.filter(client=client, case_id=case_id).only(
        "id", "state", "submitted_at")
    if own.filter(state=IntakeState.DRAFT).exists():
        return IntakeStanding("in_progress")
    latest = (own.filter(state=IntakeState.SUBMITTED)
              .order_by("-submitted_at").values_list("submitted_at", flat=True).first())
    if latest is not None:
        return IntakeStanding("submitted", latest)
    return IntakeStanding("not_started")
