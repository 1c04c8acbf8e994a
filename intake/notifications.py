"""Who hears about an intake, and how: the confirmation to the client, "a new intake is
ready" to the practice, and the safety alert that must reach the people who treat the
client.

Every email here is content-free: no answer, score, flag detail or client name, only that
something is waiting and a link to the portal, where reading it is access-checked and
audited. Mail leaves after the surrounding transaction commits, so a rolled-back submission
never announces itself. Recipients are staff accounts, found by role and care team.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from intake.models import Intake, IntakeState
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import CareAssignment, PracticeSettings, User
from portal.roles import Role

TRIGGER_SUBMITTED = "submitted"
TRIGGER_DRAFT_UNSENT = "draft_unsent"


def care_team(client_id: uuid.UUID) -> list[User]:
    """The active clinicians on the client's care team, in a stable order."""
    ids = CareAssignment.objects.filter(client_id=client_id).values("clinician_id")
    return list(User.objects.filter(pk__in=ids, is_active=True,
                                    groups__name=Role.CLINICIAN.value).order_by("email"))


def practice_admins() -> list[User]:
    return list(User.objects.filter(groups__name=Role.PRACTICE_ADMIN.value, is_active=True)
                .order_by("email"))


def _render(template: str, context: dict[str, object]) -> tuple[str, str]:
    subject = render_to_string(f"intake/email/{template}_subject.txt", context).strip()
    return subject, render_to_string(f"intake/email/{template}_message.txt", context)


def _send_after_commit(subject: str, body: str, recipients: Iterable[str]) -> None:
    addresses = sorted(set(recipients))
    if addresses:
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses)
        )


def _staff_link(intake: Intake) -> str:
    return settings.PORTAL_BASE_URL + reverse("staff_intake_detail", args=[intake.id])


def send_safety_alert(intake: Intake, *, trigger: str) -> list[User]:
    """Email every clinician on the client's care team (or, when no clinician is assigned,
    every practice admin) that an intake needs prompt review, with a link to it and nothing
    else; record one ``intake.safety_alert_sent`` event per recipient (their account id and
    the trigger); stamp the intake's ``prompt_review_alerted_at``. The caller holds the
    transaction and the intake's row lock. Returns the recipients."""
    recipients = care_team(intake.client_id) or practice_admins()
    practice = PracticeSettings.load()
    subject, body = _render("safety_alert", {"practice": practice,
                                             "link": _staff_link(intake),
                                             "sent": trigger == TRIGGER_SUBMITTED})
    for recipient in recipients:
        record_event(Action.INTAKE_SAFETY_ALERT_SENT, actor=None, subject=intake.client_id,
                     target=intake, detail={"recipient": str(recipient.pk), "trigger": trigger})
    _send_after_commit(subject, body, (user.email for user in recipients))
    intake.prompt_review_alerted_at = timezone.now()
    intake.save(update_fields=["prompt_review_alerted_at"])
    return recipients


def notify_submission(intake: Intake, client: User) -> None:
    """After commit: a confirmation to the client, and "a new intake is ready" to the
    practice admins and the client's care team. A flagged intake whose alert has not been
    emailed yet sends the safety alert instead to those it reaches (``send_safety_alert``),
    so nobody gets two emails for one intake. The caller holds the transaction."""
    practice = PracticeSettings.load()
    alerted: set[object] = set()
    if (intake.needs_prompt_review and intake.prompt_review_alerted_at is None
            and intake.prompt_review_acknowledged_at is None):
        alerted = {user.pk for user in send_safety_alert(intake, trigger=TRIGGER_SUBMITTED)}
    _send_after_commit(*_render("submitted_client", {"practice": practice}), [client.email])
    staff = [user for user in practice_admins() + care_team(client.pk) if user.pk not in alerted]
    _send_after_commit(*_render("submitted_practice", {"practice": practice}),
                       (user.email for user in staff))


def drafts_due_for_alert(now: datetime) -> list[Intake]:
    """Unsent intakes whose safety alert is still open and was raised longer ago than the
    practice's ``safety_alert_draft_hours``, and whose care team has not been emailed."""
    hours = PracticeSettings.load().safety_alert_draft_hours
    return list(Intake.objects.filter(
        state=IntakeState.DRAFT, needs_prompt_review=True,
        prompt_review_acknowledged_at__isnull=True, prompt_review_alerted_at__isnull=True,
        prompt_review_raised_at__lte=now - timedelta(hours=hours),
    ).only("id", "client_id").order_by("prompt_review_raised_at", "id"))


def send_due_draft_alerts(*, now: datetime | None = None) -> int:
    """Email the safety alert for every flagged draft left unsent past the practice's
    setting (``drafts_due_for_alert``), each once, each in its own transaction under the
    intake's row lock (two runs at once never send twice). Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    for due in drafts_due_for_alert(now):
        with transaction.atomic():
            intake = Intake.objects.select_for_update().get(pk=due.pk)
            if (intake.prompt_review_alerted_at is not None
                    or intake.prompt_review_acknowledged_at is not None
                    or intake.state != IntakeState.DRAFT):
                continue
            send_safety_alert(intake, trigger=TRIGGER_DRAFT_UNSENT)
            sent += 1
    return sent
