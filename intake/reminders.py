"""Reminders about an unsent intake, when the practice turns them on.

The practice chooses (``PracticeSettings``): whether (``intake_reminders_enabled``, off by
default), the first after ``intake_reminder_after_days`` days without the client opening
their intake, then every ``intake_reminder_every_days`` days while they stay away, and at
most ``intake_reminder_max`` for one intake in all. Days are practice-local calendar days,
so a daily job that starts a minute earlier or later is not a day late.

"Activity" is the later of the intake's last save (``Intake.updated_at``) and the client's
last visit (``IntakeReminderState.last_visit_at``, recorded by every page of the draft the
client opens). A visit after a reminder stops the reminders: the next one waits for
``intake_reminder_after_days`` of inactivity again. A sent intake is never reminded, nor an
inactive (or erased) account.

Each reminder is decided in its own transaction, under the intake's row lock: the count
goes up in the same transaction as the email is queued (``notify``) and the
``intake.reminded`` event recorded, so a crash sends nothing or everything, and a second run
(on the same day, or at the same moment on another worker) finds nothing due.

The email says only that the intake is waiting, with a link to the portal: no answer, no
question, no name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone

from intake.models import Intake, IntakeReminderState, IntakeState
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.mail import notify
from portal.models import PracticeSettings, User
from portal.models.outbox import RecipientRole
from portal.roles import Role

REMINDER_TEMPLATE = "intake/email/reminder"
# Intakes looked at per query: a practice with many drafts is read a page at a time.
BATCH_SIZE = 50


@dataclass(frozen=True)
class ReminderPolicy:
    """The practice's reminder settings, read once per run."""

    enabled: bool
    after_days: int
    every_days: int
    at_most: int

    @classmethod
    def of(cls, practice: PracticeSettings) -> ReminderPolicy:
        return cls(enabled=practice.intake_reminders_enabled,
                   after_days=practice.intake_reminder_after_days,
                   every_days=practice.intake_reminder_every_days,
                   at_most=practice.intake_reminder_max)


def record_client_visit(intake: Intake) -> None:
    """The client opened a page of their own unsent ``intake``: the inactivity clock starts
    again (no reminder until ``intake_reminder_after_days`` more days pass). The caller has
    checked that the signed-in client owns the intake. Touches neither the intake's row nor
    its ``updated_at``.

    Writes nothing when the draft was saved earlier the same practice-local day: activity
    is counted in local days, so that day is already the last one active, and no reminder
    can have gone after that save (a draft active today is not due before tomorrow, every
    wait being at least a day). Most pages are opened straight after the page before was
    saved, so most visits cost no write."""
    if intake.state != IntakeState.DRAFT:
        return
    now = timezone.now()
    if timezone.localdate(intake.updated_at) == timezone.localdate(now):
        return
    if not IntakeReminderState.objects.filter(intake_id=intake.pk).update(last_visit_at=now):
        IntakeReminderState.objects.update_or_create(intake_id=intake.pk,
                                                     defaults={"last_visit_at": now})


def _days_since(earlier: datetime, now: datetime) -> int:
    """Whole practice-local calendar days from ``earlier`` to ``now``."""
    return (timezone.localdate(now) - timezone.localdate(earlier)).days


def last_activity(intake: Intake, state: IntakeReminderState) -> datetime:
    """When the client last saved or opened the intake."""
    visit = state.last_visit_at
    return max(intake.updated_at, visit) if visit is not None else intake.updated_at


def reminder_due(intake: Intake, state: IntakeReminderState, policy: ReminderPolicy,
                 now: datetime) -> bool:
    """Whether ``intake`` (a draft of an active client) gets a reminder at ``now``: the
    rule of the module docstring, in one place."""
    if not policy.enabled or state.reminders_sent >= policy.at_most:
        return False
    active_at = last_activity(intake, state)
    reminded_at = state.last_reminded_at
    if reminded_at is None or reminded_at < active_at:
        return _days_since(active_at, now) >= policy.after_days
    return _days_since(reminded_at, now) >= policy.every_days


def _start_of_local_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _candidates(policy: ReminderPolicy, now: datetime) -> QuerySet[Intake]:
    """Drafts of active clients that may be due, in id order: fewer reminders than the
    limit, and no activity for at least the shorter of the two waits. ``reminder_due``
    decides; this only keeps the pages small."""
    wait = min(policy.after_days, policy.every_days)
    quiet_since = _start_of_local_day(timezone.localdate(now) - timedelta(days=wait - 1))
    return (
        Intake.objects.filter(state=IntakeState.DRAFT, client__is_active=True,
                              client__groups__name=Role.CLIENT.value)
        .annotate(active_at=Greatest(
            "updated_at",
            Coalesce("reminder_state__last_visit_at", "updated_at"),
            output_field=DateTimeField()))
        .filter(active_at__lt=quiet_since)
        .exclude(reminder_state__reminders_sent__gte=policy.at_most)
        .order_by("pk")
    )


def _portal_link(intake: Intake) -> str:
    """Where the reminder sends the client: their individual intake, or their intake in
    the couple or family case it belongs to (an id only, never anything about them)."""
    if intake.case_id is not None:
        return settings.PORTAL_BASE_URL + reverse("intake_case_home", args=[intake.case_id])
    return settings.PORTAL_BASE_URL + reverse("intake_home")


def _remind(intake_id: uuid.UUID, policy: ReminderPolicy, practice: PracticeSettings,
            now: datetime) -> bool:
    """Remind about one intake if it is still due, under its row lock; whether one went."""
    with transaction.atomic():
        intake = (Intake.objects.select_for_update()
                  .only("id", "client_id", "case_id", "state", "updated_at")
                  .filter(pk=intake_id).first())
        if intake is None or intake.state != IntakeState.DRAFT:
            return False
        client = User.objects.filter(pk=intake.client_id, is_active=True).first()
        if client is None:
            return False
        state, _ = IntakeReminderState.objects.get_or_create(intake_id=intake.pk)
        if not reminder_due(intake, state, policy, now):
            return False
        state.reminders_sent += 1
        state.last_reminded_at = now
        state.save(update_fields=["reminders_sent", "last_reminded_at"])
        notify(client, template=REMINDER_TEMPLATE,
               context={"practice": practice, "link": _portal_link(intake)},
               about=client, role=RecipientRole.CLIENT)
        record_event(Action.INTAKE_REMINDED, actor=None, subject=client.pk, target=intake,
                     detail={"reminder": state.reminders_sent})
    return True


def send_due_intake_reminders(*, now: datetime | None = None) -> int:
    """Send every reminder due at ``now`` (default: now), each in its own transaction;
    how many were sent. Nothing at all while the practice has reminders off."""
    practice = PracticeSettings.load()
    policy = ReminderPolicy.of(practice)
    if not policy.enabled:
        return 0
    now = now or timezone.now()
    sent = 0
    after: uuid.UUID | None = None
    while True:
        page = _candidates(policy, now)
        if after is not None:
            page = page.filter(pk__gt=after)
        ids = list(page.values_list("pk", flat=True)[:BATCH_SIZE])
        if not ids:
            return sent
        sent += sum(_remind(intake_id, policy, practice, now) for intake_id in ids)
        after = ids[-1]
