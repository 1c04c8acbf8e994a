"""What other apps may ask of the intake: the one module of this app they import.

The client pages (``clients``) show where a client stands with their intake on the client
list, the record, and each role's home page. They ask here, never the intake's models or
views, so the intake can change inside without breaking them; the import-linter contract
"Feature apps are independent" (``.importlinter``) names this module as the declared seam.
Everything here reads plaintext workflow columns and decrypts nothing.

The measures over time (``measures``) ask here for the instruments (PHQ-9, GAD-7, CSI-4):
an instrument is a scored questionnaire fragment and belongs to the intake, which asks it
first; check-ins reuse the same definition (items, options, scoring, bands, safety rule).
``current_instrument`` gives the shipped version to ask now, ``instrument_version`` the
version an earlier answer was given to, and ``InstrumentDefinition.score`` and
``needs_prompt_review`` are the intake's own scoring and safety rules. An instrument's
questions are the intake's ``Question`` objects: ``question_type(question.type)`` draws,
checks (``AnswerError``) and words their answers exactly as the intake does.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext

from intake.events import IntakeSent, ScoredInstrument, intake_sent, submitted_intakes
from intake.instrument_schema import (
    HIGHER_IS_BETTER,
    HIGHER_IS_WORSE,
    ChangeRules,
    Cutoff,
    InstrumentDefinition,
    InstrumentScore,
    LoincCodes,
)
from intake.instrument_sources import CHECK_IN_INSTRUMENTS, UnknownInstrument
from intake.instrument_store import current_instrument, instrument_version
from intake.models import Intake, IntakeState
from intake.question_types import AnswerError, question_type
from intake.schema import Question
from intake.selectors import (
    IntakeStanding,
    OpenAlerts,
    intake_standing,
    open_alerts_for,
    open_alerts_of_caseload,
    open_safety_alerts,
    visible_intakes,
)
from portal.access import case_record_filter
from portal.badges import Badge
from portal.models import User

__all__ = [
    "CHECK_IN_INSTRUMENTS",
    "HIGHER_IS_BETTER",
    "HIGHER_IS_WORSE",
    "AnswerError",
    "ChangeRules",
    "Cutoff",
    "InstrumentDefinition",
    "InstrumentScore",
    "IntakeSent",
    "IntakeStanding",
    "IntakeSummary",
    "LoincCodes",
    "OpenAlerts",
    "Question",
    "ScoredInstrument",
    "UnknownInstrument",
    "client_intakes_visible_to",
    "current_instrument",
    "has_individual_intake",
    "has_open_safety_alert",
    "instrument_version",
    "intake_sent",
    "intake_standing",
    "intake_summaries",
    "open_alerts_for",
    "question_type",
    "submitted_intakes",
]


@dataclass(frozen=True)
class IntakeSummary:
    """A client's intake on the staff client list."""

    badge: Badge
    needs_prompt_review: bool
    intake_id: uuid.UUID | None  # the intake to open: the flagged one, else the latest
    submitted_at: datetime.datetime | None


def has_open_safety_alert(client_ref: OuterRef, viewer: User) -> Exists:
    """An SQL expression, true when the client ``client_ref`` points at has a safety alert
    no one has acknowledged, raised by an intake or a check-in of a record ``viewer`` may
    open (for ordering a list of clients, flagged first)."""
    return Exists(open_alerts_of_caseload(viewer).filter(client=client_ref))


def intake_summaries(client_ids: Sequence[uuid.UUID],
                     viewer: User) -> dict[uuid.UUID, IntakeSummary]:
    """Each client's intake state, from the plaintext workflow columns of the intakes
    ``viewer`` may open (one query; answers and scores are not even loaded): a couple's
    clinician does not learn from a badge that a partner has an individual intake."""
    by_client: dict[uuid.UUID, list[Any]] = defaultdict(list)
    rows = Intake.objects.filter(case_record_filter(viewer),
                                 client_id__in=client_ids).annotate(
        alert_open=Exists(open_safety_alerts().filter(intake=OuterRef("pk"))),
    ).values("id", "client_id", "state", "alert_open", "submitted_at", "updated_at")
    for row in rows:
        by_client[row["client_id"]].append(row)
    return {client_id: _intake_summary(by_client.get(client_id, [])) for client_id in client_ids}


def _intake_summary(intakes: list[dict[str, Any]]) -> IntakeSummary:
    flagged = [i for i in intakes if i["alert_open"]]
    submitted = sorted((i for i in intakes if i["state"] == IntakeState.SUBMITTED),
                       key=lambda i: i["submitted_at"], reverse=True)
    drafts = [i for i in intakes if i["state"] == IntakeState.DRAFT]
    if submitted:
        badge, latest = Badge(gettext("Submitted"), "success"), submitted[0]
    elif drafts:
        badge, latest = Badge(gettext("Draft in progress"), "secondary"), drafts[0]
    else:
        badge, latest = Badge(gettext("Not started"), "light"), None
    shown = flagged[0] if flagged else latest
    return IntakeSummary(
        badge=badge,
        needs_prompt_review=bool(flagged),
        intake_id=shown["id"] if shown else None,
        submitted_at=submitted[0]["submitted_at"] if submitted else None,
    )


def client_intakes_visible_to(viewer: User, client: User) -> list[Intake]:
    """The intakes of ``client`` that ``viewer`` may open (for the client record), newest
    first as ``visible_intakes`` orders them."""
    return list(visible_intakes(viewer).filter(client=client))


def has_individual_intake(client: User) -> bool:
    """Whether ``client`` has an intake in their individual record (not in a case)."""
    return Intake.objects.filter(client=client, case__isnull=True).exists()


# --- Safety alerts beyond intakes (issue 18: a check-in's safety answer) -------------------
# ``measures`` raises a check-in's alert here: the alert, its email to the care team and its
# staff page are the intake's, so every safety alert keeps one set of rules
# (``intake.safety_alerts``).
from intake.safety_alerts import raise_check_in_alert  # noqa: E402

__all__ += ["raise_check_in_alert"]
