"""Intake reads for staff: which intakes a staff member may list, in what order, and which
safety alerts are open. Plaintext columns only: nothing here decrypts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce

from intake.models import Intake, IntakeState
from portal.access import clients_visible_to
from portal.models import User

# The order of the list: what needs a clinician now, then what is ready to read, then what
# is still being filled in.
_NEEDS_REVIEW, _SUBMITTED, _DRAFT = 0, 1, 2


def unacknowledged_alerts(user: User) -> QuerySet[Intake]:
    """Intakes of the clients ``user`` may open whose safety alert no one has acknowledged
    yet, drafts included. Plaintext columns only: nothing is decrypted."""
    return Intake.objects.filter(
        client__in=clients_visible_to(user),
        needs_prompt_review=True,
        prompt_review_acknowledged_at__isnull=True,
    )


def open_alerts(user: User) -> QuerySet[Intake]:
    """``unacknowledged_alerts`` ready to list: each with its client (one join, no query per
    row), only plaintext columns loaded, longest-waiting first. ``alert_since`` is when the
    flag was raised; for intakes flagged before that was recorded, the submission (or the
    last save of a draft), which is the nearest later time we know."""
    return (
        unacknowledged_alerts(user)
        .select_related("client")
        .only("id", "state", "client_id", "submitted_at", "updated_at", "created_at",
              "prompt_review_raised_at", "client__email", "client__display_name")
        .annotate(alert_since=Coalesce("prompt_review_raised_at", "submitted_at",
                                       "updated_at"))
        .order_by("alert_since", "created_at", "id")
    )


def visible_intakes(user: User) -> QuerySet[Intake]:
    """Every intake of the clients ``user`` may open, flagged ones first (a client who told
    us about current risk in a draft must be seen even if they never submit), then submitted
    newest first, then drafts by latest activity. The encrypted columns are not even loaded.
    """
    group = Case(
        When(needs_prompt_review=True, prompt_review_acknowledged_at__isnull=True,
             then=Value(_NEEDS_REVIEW)),
        When(state=IntakeState.SUBMITTED, then=Value(_SUBMITTED)),
        default=Value(_DRAFT),
        output_field=IntegerField(),
    )
    return (
        Intake.objects.filter(client__in=clients_visible_to(user))
        .defer("answers", "scores", "prompt_review_note")
        .select_related("client", "prompt_review_acknowledged_by", "reviewed_by")
        .annotate(review_group=group, last_activity=Coalesce("submitted_at", "updated_at"))
        .order_by("review_group", "-last_activity", "-created_at", "id")
    )


@dataclass(frozen=True)
class IntakeStanding:
    """Where a client stands with their intake, for their home page: ``not_started``,
    ``in_progress`` (a draft exists) or ``submitted`` (sent, with no newer draft)."""

    state: str
    submitted_at: datetime | None = None


def intake_standing(client: User) -> IntakeStanding:
    """The client's own intake state, from plaintext columns only (nothing is decrypted and
    nothing is recorded). A draft wins over an earlier submission: there is something to
    carry on with."""
    own = Intake.objects.filter(client=client).only("id", "state", "submitted_at")
    if own.filter(state=IntakeState.DRAFT).exists():
        return IntakeStanding("in_progress")
    latest = (own.filter(state=IntakeState.SUBMITTED)
              .order_by("-submitted_at").values_list("submitted_at", flat=True).first())
    if latest is not None:
        return IntakeStanding("submitted", latest)
    return IntakeStanding("not_started")
