"""The client's side of a check-in: saving a page, declining an instrument, sending it.

The only way a client changes a ``CheckIn``. Every write holds the check-in's row lock and
is guarded by its ``revision`` (as an intake draft is): a page built from an older revision
(another tab, a double submit after a save) is refused, never overwritten. A check-in that
is no longer open (sent, missed, or past its ``expires_at`` before the queue marked it)
takes nothing more.

Safety: the save that stores a PHQ-9 item 9 answer above "Not at all" raises the
check-in's safety alert (``intake.api.raise_check_in_alert``), which emails the care team
in the same transaction, at once: a check-in has no draft left waiting. It stays raised
whatever is answered later.

Sending stores one ``MeasureResponse`` per instrument answered (``measures.responses.
response_record``: scored by the instrument's definition, the intake's, through
``intake.api``, and a reliable deterioration flagged); a declined instrument stores none.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.api import AnswerError, current_instrument, question_type, raise_check_in_alert
from measures.models import CheckIn, CheckInState
from measures.responses import response_record
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import PracticeSettings, User

REQUIRED_MESSAGE = _("Please choose an answer.")
DECLINE_REFUSED = _("Your practice asks for every check-in question to be answered. "
                    "Please choose an answer for each.")


class CheckInClosed(Exception):
    """The check-in was sent, or missed: nothing more can be saved on it."""


class StaleCheckIn(Exception):
    """The page was built from an older revision (another tab, a double submit)."""


class DeclineRefused(Exception):
    """The practice requires every check-in question to be answered."""


class IncompleteCheckIn(Exception):
    """Some instrument is neither fully answered nor declined."""

    def __init__(self, instruments: list[str]) -> None:
        super().__init__("incomplete")
        self.instruments = instruments


@dataclass
class PageOutcome:
    check_in: CheckIn
    errors: dict[str, str] = field(default_factory=dict)
    safety_now: bool = False  # this save gave a safety answer: show the crisis text


def _locked_open(check_in_id: uuid.UUID, client: User, revision: int, now: datetime
                 ) -> CheckIn:
    check_in = CheckIn.objects.select_for_update().get(pk=check_in_id, client=client)
    if check_in.state != CheckInState.OPEN or check_in.expires_at <= now:
        raise CheckInClosed
    if revision != check_in.revision:
        raise StaleCheckIn
    return check_in


def clean_page(slug: str, posted: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The instrument's answers from a posted page, each checked by its question type
    (the intake's), and a message per question whose answer was refused. Unanswered
    questions are left out (a page may be saved half-done)."""
    definition = current_instrument(slug)
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in definition.questions:
        kind = question_type(question.type)
        raw = kind.posted_value(question, question.id, posted)
        if raw is None or raw == "" or raw == []:
            continue
        try:
            answers[question.id] = kind.clean_answer(question, raw)
        except AnswerError as error:
            errors[question.id] = str(error)
    return answers, errors


@transaction.atomic
def check_in_save_page(*, check_in_id: uuid.UUID, client: User, instrument: str,
                       posted: Mapping[str, Any], declined: bool, revision: int
                       ) -> PageOutcome:
    """Save one instrument's page of the client's own open check-in: its answers (each
    valid one kept, the refused ones reported), or "I'd rather not answer today"
    (``declined``: its answers are dropped; refused with ``DeclineRefused`` when the
    practice requires answers). ``StaleCheckIn`` for an old revision, ``CheckInClosed``
    once sent or missed. A PHQ-9 item 9 answer above "Not at all" raises the check-in's
    safety alert and emails the care team, in this transaction. The caller fetched the
    check-in as the client's own (``get_own_check_in``)."""
    now = timezone.now()
    check_in = _locked_open(check_in_id, client, revision, now)
    if instrument not in check_in.instruments:
        raise ValueError("Not an instrument of this check-in.")
    all_answers = dict(check_in.answers)
    declined_now = [slug for slug in check_in.declined if slug != instrument]
    errors: dict[str, str] = {}
    safety_now = False
    if declined:
        if PracticeSettings.load().check_in_answers_required:
            raise DeclineRefused
        all_answers.pop(instrument, None)
        declined_now.append(instrument)
    else:
        page, errors = clean_page(instrument, posted)
        all_answers[instrument] = page
        safety_now = current_instrument(instrument).needs_prompt_review(page)
    check_in.answers = all_answers
    check_in.declined = declined_now
    check_in.revision += 1
    check_in.save(update_fields=["answers", "declined", "revision", "updated_at"])
    if safety_now:
        raise_check_in_alert(client=client, case=check_in.case, check_in_id=check_in.pk)
    return PageOutcome(check_in, errors, safety_now)


def missing_instruments(check_in: CheckIn) -> list[str]:
    """The instruments of the check-in neither declined nor fully answered (decrypts the
    answers: the caller is the client, or the send)."""
    answers = check_in.answers
    return [slug for slug in check_in.instruments
            if slug not in check_in.declined
            and current_instrument(slug).score(answers.get(slug, {})) is None]


@transaction.atomic
def check_in_complete(*, check_in_id: uuid.UUID, client: User, revision: int) -> CheckIn:
    """Send the client's own open check-in: every instrument answered or declined
    (``IncompleteCheckIn`` names the rest), one scored ``MeasureResponse`` per answered
    instrument, the check-in completed. ``StaleCheckIn``/``CheckInClosed`` as for a page;
    a double submit finds it sent (``CheckInClosed``) and stores nothing twice. Records
    ``measures.check_in_completed`` with how many were answered and declined (never a
    score)."""
    now = timezone.now()
    check_in = _locked_open(check_in_id, client, revision, now)
    missing = missing_instruments(check_in)
    if missing:
        raise IncompleteCheckIn(missing)
    answers = check_in.answers
    answered = [slug for slug in check_in.instruments if slug not in check_in.declined]
    for slug in answered:
        response_record(client=client, case=check_in.case, instrument=current_instrument(slug),
                        items=dict(answers[slug]), check_in=check_in, taken_at=now)
    check_in.state = CheckInState.COMPLETED
    check_in.completed_at = now
    check_in.revision += 1
    check_in.save(update_fields=["state", "completed_at", "revision", "updated_at"])
    record_event(Action.MEASURES_CHECK_IN_COMPLETED, actor=client, subject=client.pk,
                 target=check_in, detail={"answered": len(answered),
                                          "declined": len(check_in.instruments) - len(answered)})
    return check_in
