"""The check-in queue: what the scheduler does with schedules and check-ins, on its own.

Three jobs (registered in ``measures.apps``, timed by ``settings.SCHEDULE``):

- ``open_due_check_ins``: every active schedule whose ``next_due_at`` has passed opens a
  check-in (due now, expiring ``check_in_open_days`` later) and moves ``next_due_at`` on by
  its frequency, past now (a queue that was down for three weeks opens one check-in, not
  three); "once" ends its schedule. Never two open check-ins per schedule: one still open
  when the next is due is closed as missed first.
- ``expire_check_ins``: an open check-in past its ``expires_at`` becomes missed, and stays so.
- ``send_check_in_reminders``: a content-free email to the client about an open check-in,
  the first as soon as it is due, a further one after ``REMINDER_GAP_DAYS`` practice-local
  days, at most ``PracticeSettings.check_in_reminder_max`` per check-in, none while the
  client has paused reminders, none to an inactive (or erased) account.

Each decision is its own transaction under a row lock (the schedule's, or the check-in's):
the change, the outbox row and the audit event commit together, so a second run (or a
second worker at once) finds nothing left to do. Nothing here decrypts; a new check-in's
empty answers are sealed under the client's key.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from measures.models import FREQUENCY_DAYS, CheckIn, CheckInSchedule, CheckInState, Frequency
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.crypto.errors import KeyDestroyedError
from portal.mail import notify
from portal.models import PracticeSettings, User
from portal.models.outbox import RecipientRole

REMINDER_TEMPLATE = "measures/email/check_in_reminder"
# Practice-local days between two reminders about one check-in.
REMINDER_GAP_DAYS = 2
BATCH_SIZE = 50


def _expire(check_in: CheckIn) -> None:
    check_in.state = CheckInState.MISSED
    check_in.save(update_fields=["state", "updated_at"])


def open_check_in(schedule: CheckInSchedule, *, now: datetime) -> CheckIn | None:
    """Open the schedule's next check-in now, if it is due: the one before it, still open,
    is missed first; ``next_due_at`` moves on past ``now`` by the frequency ("once" ends the
    schedule). The caller holds the schedule's row lock (or has just made it) and the
    transaction. None when nothing was due, or the client's key is gone (erased: the
    schedule ends)."""
    if not schedule.active or schedule.next_due_at is None or schedule.next_due_at > now:
        return None
    for earlier in CheckIn.objects.select_for_update().filter(
            schedule=schedule, state=CheckInState.OPEN).only("id", "state", "client_id"):
        _expire(earlier)
    practice = PracticeSettings.load()
    check_in = CheckIn(schedule=schedule, client_id=schedule.client_id,
                       case_id=schedule.case_id, instruments=list(schedule.instruments),
                       due_at=now, expires_at=now + timedelta(days=practice.check_in_open_days))
    try:
        with transaction.atomic():
            check_in.save(force_insert=True)
    except KeyDestroyedError:
        check_in = None  # type: ignore[assignment]
        schedule.frequency = Frequency.ONCE  # an erased client is asked nothing more
    if schedule.frequency == Frequency.ONCE:
        schedule.active = False
        schedule.next_due_at = None
        schedule.ended_at = now
    else:
        step = timedelta(days=FREQUENCY_DAYS[Frequency(schedule.frequency)])
        due = schedule.next_due_at
        while due <= now:
            due += step
        schedule.next_due_at = due
    schedule.save(update_fields=["active", "next_due_at", "ended_at", "updated_at"])
    return check_in


def open_due_check_ins(*, now: datetime | None = None) -> int:
    """Open every check-in due at ``now`` (default: now), each schedule in its own
    transaction under its row lock; how many opened."""
    now = now or timezone.now()
    due = list(CheckInSchedule.objects.filter(active=True, next_due_at__lte=now,
                                              client__is_active=True)
               .order_by("next_due_at", "pk").values_list("pk", flat=True))
    opened = 0
    for schedule_id in due:
        with transaction.atomic():
            schedule = CheckInSchedule.objects.select_for_update().filter(
                pk=schedule_id).first()
            if schedule is not None and open_check_in(schedule, now=now) is not None:
                opened += 1
    return opened


def expire_check_ins(*, now: datetime | None = None) -> int:
    """Every open check-in past its ``expires_at`` becomes missed; how many. One UPDATE
    whose condition is checked again on each row it locks: a check-in sent meanwhile is
    left as sent."""
    now = now or timezone.now()
    return CheckIn.objects.filter(state=CheckInState.OPEN, expires_at__lte=now).update(
        state=CheckInState.MISSED, updated_at=now)


def _days_since(earlier: datetime, now: datetime) -> int:
    return (timezone.localdate(now) - timezone.localdate(earlier)).days


def reminder_due(check_in: CheckIn, *, paused: bool, at_most: int, now: datetime) -> bool:
    """Whether ``check_in`` gets a reminder at ``now``: the rule of the module docstring,
    in one place."""
    if (check_in.state != CheckInState.OPEN or paused or check_in.reminders_sent >= at_most
            or check_in.due_at > now or check_in.expires_at <= now):
        return False
    if check_in.last_reminded_at is None:
        return True
    return _days_since(check_in.last_reminded_at, now) >= REMINDER_GAP_DAYS


def check_in_link(check_in: CheckIn) -> str:
    """Where a reminder sends the client: the check-in's first page (an id only)."""
    return settings.PORTAL_BASE_URL + reverse("measures_check_in", args=[check_in.pk])


def _remind(check_in_id: uuid.UUID, practice: PracticeSettings, now: datetime) -> bool:
    with transaction.atomic():
        check_in = (CheckIn.objects.select_for_update(of=("self",))
                    .select_related("schedule")
                    .only("id", "client_id", "state", "due_at", "expires_at",
                          "reminders_sent", "last_reminded_at", "schedule__paused_at")
                    .filter(pk=check_in_id).first())
        if check_in is None:
            return False
        paused = check_in.schedule is not None and check_in.schedule.paused_at is not None
        if not reminder_due(check_in, paused=paused, at_most=practice.check_in_reminder_max,
                            now=now):
            return False
        client = User.objects.filter(pk=check_in.client_id, is_active=True).first()
        if client is None:
            return False
        check_in.reminders_sent += 1
        check_in.last_reminded_at = now
        check_in.save(update_fields=["reminders_sent", "last_reminded_at"])
        notify(client, template=REMINDER_TEMPLATE,
               context={"practice": practice, "link": check_in_link(check_in)},
               about=client, role=RecipientRole.CLIENT)
        record_event(Action.MEASURES_CHECK_IN_REMINDED, actor=None, subject=client.pk,
                     target=check_in, detail={"reminder": check_in.reminders_sent})
    return True


def send_check_in_reminders(*, now: datetime | None = None) -> int:
    """Send every check-in reminder due at ``now`` (default: now), each in its own
    transaction; how many were sent. None at all when the practice allows none."""
    practice = PracticeSettings.load()
    if practice.check_in_reminder_max == 0:
        return 0
    now = now or timezone.now()
    candidates = (CheckIn.objects.filter(
        state=CheckInState.OPEN, due_at__lte=now, expires_at__gt=now,
        reminders_sent__lt=practice.check_in_reminder_max, client__is_active=True)
        .exclude(schedule__paused_at__isnull=False).order_by("pk"))
    sent = 0
    after: uuid.UUID | None = None
    while True:
        page = candidates.filter(pk__gt=after) if after is not None else candidates
        ids = list(page.values_list("pk", flat=True)[:BATCH_SIZE])
        if not ids:
            return sent
        sent += sum(_remind(check_in_id, practice, now) for check_in_id in ids)
        after = ids[-1]
