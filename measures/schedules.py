"""Check-in schedules: a clinician sets one per client (in their individual record or in a
couple or family case), ends it; the client pauses and resumes its reminders.

The only way to change a ``CheckInSchedule``. Setting a schedule ends the record's active
one (one active schedule per record, a conditional unique constraint) and opens the first
check-in at once (``measures.queue.open_check_in``: "due now"); "once" opens that one and
ends. A check-in left open by an ended schedule stays open until it is sent or expires: the
client may already be half-way through it. Callers check permission first
(``measures.access.may_open_record``; a client's own schedule through
``get_own_schedule``). Every change is on the audit trail, with ids, the frequency and the
instrument slugs only.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from measures.instruments import allowed_instruments, in_check_in_order
from measures.models import CheckInSchedule, Frequency
from measures.queue import open_check_in
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import Case, User


def _clean_instruments(instruments: list[str], case: Case | None) -> list[str]:
    """The instruments as the schedule stores them (check-in order, no repeats); refuses
    none, an unknown one, and the CSI-4 outside a couple case, in words a clinician
    understands."""
    allowed = allowed_instruments(case)
    unknown = [slug for slug in instruments if slug not in allowed]
    if unknown:
        if "csi4" in unknown:
            raise ValidationError(_("The CSI-4 is about a relationship: it can be asked only "
                                    "in a couple's case."), code="couple_only")
        raise ValidationError(_("Please choose from the questionnaires listed."),
                              code="unknown")
    cleaned = in_check_in_order(instruments)
    if not cleaned:
        raise ValidationError(_("Please choose at least one questionnaire."), code="required")
    return cleaned


@transaction.atomic
def schedule_set(*, client: User, case: Case | None, instruments: list[str],
                 frequency: str, by: User) -> CheckInSchedule:
    """``client`` is asked ``instruments`` every 1, 2 or 4 weeks from now, or once now
    (``frequency``), in their individual record (``case`` None) or in a couple or family
    case. The record's active schedule, if any, ends first (``measures.schedule_ended``);
    the first check-in opens at once. The caller has checked that ``by`` may
    (``may_open_record``). Bad instruments or frequency raise ``ValidationError``
    and change nothing. Records ``measures.schedule_set`` (frequency and instrument slugs)."""
    if frequency not in Frequency.values:
        raise ValidationError(_("Please choose how often."), code="frequency")
    cleaned = _clean_instruments(list(instruments), case)
    now = timezone.now()
    current = (CheckInSchedule.objects.select_for_update()
               .filter(client=client, case=case, active=True))
    for schedule in current:
        _end(schedule, by=by, now=now)
    schedule = CheckInSchedule(client=client, case=case, instruments=cleaned,
                               frequency=frequency, next_due_at=now, created_by=by)
    schedule.full_clean()
    schedule.save(force_insert=True)
    record_event(Action.MEASURES_SCHEDULE_SET, actor=by, subject=client.pk, target=schedule,
                 detail={"frequency": frequency, "instruments": cleaned})
    open_check_in(schedule, now=now)
    return schedule


def _end(schedule: CheckInSchedule, *, by: User | None, now: datetime) -> None:
    schedule.active = False
    schedule.next_due_at = None
    schedule.ended_at = now
    schedule.save(update_fields=["active", "next_due_at", "ended_at", "updated_at"])
    record_event(Action.MEASURES_SCHEDULE_ENDED, actor=by, subject=schedule.client_id,
                 target=schedule)


@transaction.atomic
def schedule_end(*, schedule: CheckInSchedule, by: User) -> CheckInSchedule:
    """No more check-ins open from ``schedule`` (one already open stays open until sent or
    expired). Ending an ended schedule does nothing. The caller has checked that ``by`` may
    (``may_open_record``). Records ``measures.schedule_ended``."""
    schedule = CheckInSchedule.objects.select_for_update().get(pk=schedule.pk)
    if schedule.active:
        _end(schedule, by=by, now=timezone.now())
    return schedule


@transaction.atomic
def reminders_pause(*, schedule: CheckInSchedule, by_client: User) -> CheckInSchedule:
    """The client asks for no more reminder emails from ``schedule``: check-ins still open
    on time (and show on their check-ins page), none is emailed about while paused. Pausing
    a paused schedule changes nothing. The caller fetched the schedule as the client's own
    (``get_own_schedule``). Records ``measures.reminders_paused``."""
    schedule = CheckInSchedule.objects.select_for_update().get(pk=schedule.pk,
                                                               client=by_client)
    if schedule.paused_at is None:
        schedule.paused_at = timezone.now()
        schedule.save(update_fields=["paused_at", "updated_at"])
        record_event(Action.MEASURES_REMINDERS_PAUSED, actor=by_client,
                     subject=by_client.pk, target=schedule)
    return schedule


@transaction.atomic
def reminders_resume(*, schedule: CheckInSchedule, by_client: User) -> CheckInSchedule:
    """The client's reminders from ``schedule`` start again (for the check-ins still
    open, and those to come). Records ``measures.reminders_resumed``."""
    schedule = CheckInSchedule.objects.select_for_update().get(pk=schedule.pk,
                                                               client=by_client)
    if schedule.paused_at is not None:
        schedule.paused_at = None
        schedule.save(update_fields=["paused_at", "updated_at"])
        record_event(Action.MEASURES_REMINDERS_RESUMED, actor=by_client,
                     subject=by_client.pk, target=schedule)
    return schedule
