"""Who hears about an intake, and how: the confirmation to the client, "a new intake is
ready" to the practice, and the safety alert (an intake's or a check-in's) that must reach
the people who treat the client.

Every email here is content-free: no answer, score, flag detail or client name, only that
something is waiting and a link to the portal, where reading it is access-checked and
audited. Mail is queued in the surrounding transaction, so a rolled-back submission never
announces itself. Recipients are staff accounts, found by role and care team.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from intake.models import Intake, IntakeState, SafetyAlert
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.mail import notify
from portal.models import CareAssignment, CaseCareAssignment, PracticeSettings, User
from portal.roles import Role

CHECK_IN_ALERT_TEMPLATE = "intake/email/check_in_safety_alert"


def care_team(client_id: uuid.UUID) -> list[User]:
    """The active clinicians on the client's care team, in a stable order."""
    ids = CareAssignment.objects.filter(client_id=client_id).values("clinician_id")
    return _active_clinicians(ids)


def _active_clinicians(ids: Any) -> list[User]:
    return list(User.objects.filter(pk__in=ids, is_active=True,
                                    groups__name=Role.CLINICIAN.value).order_by("email"))


def record_care_team(client_id: uuid.UUID, case_id: uuid.UUID | None) -> list[User]:
    """Who reads a record kept per case: the care team of the couple or family case
    ``case_id``, or the client's own care team for their individual record (separate
    records, separate teams: ``portal.access.case_record_filter``)."""
    if case_id is not None:
        return _active_clinicians(CaseCareAssignment.objects.filter(
            case_id=case_id).values("clinician_id"))
    return care_team(client_id)


def intake_care_team(intake: Intake) -> list[User]:
    """Who reads this intake (``record_care_team`` of its client and case)."""
    return record_care_team(intake.client_id, intake.case_id)


def practice_admins() -> list[User]:
    return list(User.objects.filter(groups__name=Role.PRACTICE_ADMIN.value, is_active=True)
                .order_by("email"))


def _staff_link(intake: Intake) -> str:
    return settings.PORTAL_BASE_URL + reverse("staff_intake_detail", args=[intake.id])


def send_safety_alert(alert: SafetyAlert, *, trigger: SafetyAlert.Trigger) -> list[User]:
    """Email every clinician on the intake's care team (the case's, for an intake in a couple
    or family case; else the client's; when no clinician is assigned,
    every practice admin) that an intake needs prompt review, with a link to it and nothing
    else; record one ``intake.safety_alert_sent`` event per recipient (their account id and
    the trigger); stamp the alert's ``emailed_at`` and ``trigger``. The caller holds the
    transaction and the intake's row lock. Returns the recipients."""
    intake = alert.intake
    if intake is None:
        raise ValueError("A check-in's alert is sent by send_check_in_safety_alert.")
    recipients = intake_care_team(intake) or practice_admins()
    practice = PracticeSettings.load()
    context = {"practice": practice, "link": _staff_link(intake),
               "sent": trigger == SafetyAlert.Trigger.SUBMITTED}
    for recipient in recipients:
        record_event(Action.INTAKE_SAFETY_ALERT_SENT, actor=None, subject=intake.client_id,
                     target=intake, detail={"recipient": str(recipient.pk),
                                            "trigger": str(trigger)})
    notify(recipients, template="intake/email/safety_alert", context=context,
           about=intake.client)
    alert.emailed_at = timezone.now()
    alert.trigger = trigger
    alert.full_clean(validate_unique=False)
    alert.save(update_fields=["emailed_at", "trigger"])
    return recipients


def _alert_link(alert: SafetyAlert) -> str:
    return settings.PORTAL_BASE_URL + reverse("staff_alert_detail", args=[alert.id])


def send_check_in_safety_alert(alert: SafetyAlert, *, link: str | None = None) -> list[User]:
    """Email every clinician on the care team of the check-in's record (the case's, for a
    check-in in a couple or family case; else the client's; with no clinician assigned,
    every practice admin) that a check-in answer needs prompt review, with ``link`` (by
    default the alert's staff page) and nothing else; record one
    ``intake.safety_alert_sent`` event per recipient (their account id and the trigger
    "check_in"); stamp the alert's ``emailed_at`` and ``trigger``. The caller holds the
    transaction in which the alert was raised. Returns the recipients."""
    recipients = record_care_team(alert.client_id, alert.case_id) or practice_admins()
    context = {"practice": PracticeSettings.load(), "link": link or _alert_link(alert)}
    trigger = SafetyAlert.Trigger.CHECK_IN
    for recipient in recipients:
        record_event(Action.INTAKE_SAFETY_ALERT_SENT, actor=None, subject=alert.client_id,
                     target=alert, detail={"recipient": str(recipient.pk),
                                           "trigger": str(trigger)})
    notify(recipients, template=CHECK_IN_ALERT_TEMPLATE, context=context, about=alert.client)
    alert.emailed_at = timezone.now()
    alert.trigger = trigger
    alert.full_clean(validate_unique=False)
    alert.save(update_fields=["emailed_at", "trigger"])
    return recipients


def notify_submission(intake: Intake, client: User) -> None:
    """Queue a confirmation to the client, and "a new intake is ready" to the
    practice admins and the client's care team. A flagged intake whose open alert has not
    been emailed yet sends the safety alert instead to those it reaches
    (``send_safety_alert``), so nobody gets two emails for one intake. The caller holds the
    transaction and the intake's row lock."""
    practice = PracticeSettings.load()
    alerted: set[object] = set()
    alert = intake.raised_safety_alert
    if alert is not None and alert.is_open and alert.emailed_at is None:
        recipients = send_safety_alert(alert, trigger=SafetyAlert.Trigger.SUBMITTED)
        alerted = {user.pk for user in recipients}
    notify(client, template="intake/email/submitted_client", context={"practice": practice})
    staff = [user for user in practice_admins() + intake_care_team(intake)
             if user.pk not in alerted]
    notify(staff, template="intake/email/submitted_practice", context={"practice": practice},
           about=client)


def drafts_due_for_alert(now: datetime) -> list[SafetyAlert]:
    """The open alerts of unsent intakes raised longer ago than the practice's
    ``safety_alert_draft_hours``, whose care team has not been emailed."""
    hours = PracticeSettings.load().safety_alert_draft_hours
    return list(SafetyAlert.objects.filter(
        intake__state=IntakeState.DRAFT, closed_at__isnull=True, emailed_at__isnull=True,
        raised_at__lte=now - timedelta(hours=hours),
    ).only("id", "intake_id").order_by("raised_at", "id"))


def send_due_draft_alerts(*, now: datetime | None = None) -> int:
    """Email the safety alert for every flagged draft left unsent past the practice's
    setting (``drafts_due_for_alert``), each once, each in its own transaction under the
    intake's row lock (two runs at once never send twice). Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    for due in drafts_due_for_alert(now):
        if due.intake_id is None:  # never: a draft's alert is an intake's
            continue
        with transaction.atomic():
            intake = Intake.objects.select_for_update().only(
                "id", "client_id", "case_id", "state").get(pk=due.intake_id)
            alert = SafetyAlert.objects.get(pk=due.pk)
            alert.intake = intake
            if (alert.emailed_at is not None or not alert.is_open
                    or intake.state != IntakeState.DRAFT):
                continue
            send_safety_alert(alert, trigger=SafetyAlert.Trigger.DRAFT_UNSENT)
            sent += 1
    return sent
