"""Measures over time: scored responses to an instrument (PHQ-9, GAD-7, CSI-4), the check-in
schedules a clinician sets, the check-ins a client fills in between sessions, and the review
flags a reliable deterioration raises.

What a client answered and everything derived from it (the items, the total, the band) is
encrypted under the client's data key: erasing the client shreds their whole series. Which
instrument, when, and the workflow states stay plaintext, so a series is fetched in one
query (by client, instrument and time) with one key fetch, and the scheduler finds what is
due without decrypting anything. ``docs/data-inventory.md`` lists every column.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.crypto.fields import EncryptedCharField, EncryptedIntegerField, EncryptedJSONField
from portal.crypto.models import EncryptedModel

# An instrument's slug (``phq9``, ``gad7``, ``csi4``) and version, as its definition names
# them (``intake.api``: the instruments are the intake's, reused here).
INSTRUMENT_SLUG_LENGTH = 32
INSTRUMENT_VERSION_LENGTH = 16


class Frequency(models.TextChoices):
    ONCE = "once", _("Once, now")
    WEEKLY = "weekly", _("Every week")
    FORTNIGHTLY = "fortnightly", _("Every 2 weeks")
    FOUR_WEEKLY = "four_weekly", _("Every 4 weeks")


# Days between two check-ins of a repeating schedule.
FREQUENCY_DAYS = {Frequency.WEEKLY: 7, Frequency.FORTNIGHTLY: 14, Frequency.FOUR_WEEKLY: 28}


class CheckInSchedule(models.Model):
    """A clinician's plan to ask one client, in their individual record or in a couple or
    family case, a few instruments on a rhythm (or once). The queue opens a ``CheckIn`` when
    ``next_due_at`` passes and moves it on by the frequency. Plaintext by design (workflow):
    who, which instruments, how often, when next; nothing the client said. A client may
    pause the reminders (``paused_at``): check-ins still open, no email is sent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="check_in_schedules")
    case = models.ForeignKey("portal.Case", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="check_in_schedules")
    instruments = models.JSONField(default=list)
    frequency = models.CharField(max_length=16, choices=Frequency.choices)
    next_due_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client"],
                                    condition=models.Q(active=True, case__isnull=True),
                                    name="measures_one_active_schedule_per_client"),
            models.UniqueConstraint(fields=["client", "case"],
                                    condition=models.Q(active=True, case__isnull=False),
                                    name="measures_one_active_schedule_per_client_and_case"),
        ]
        indexes = [models.Index(fields=["active", "next_due_at"],
                                name="measures_schedule_due")]

    def __str__(self) -> str:
        return f"check-in schedule {self.id.hex[:8]}"


class CheckInState(models.TextChoices):
    OPEN = "open", pgettext_lazy("check-in state", "Waiting")
    COMPLETED = "completed", pgettext_lazy("check-in state", "Completed")
    MISSED = "missed", pgettext_lazy("check-in state", "Missed")


class CheckIn(EncryptedModel):
    """One check-in a client is asked to complete: the instruments of its schedule, one
    page each, saved as they go (``answers``, encrypted, guarded by ``revision`` like an
    intake draft) until they send it, which stores one ``MeasureResponse`` per instrument
    answered. Left unanswered past ``expires_at`` it becomes missed, and stays so.

    Encrypted under the client's key: the draft answers and which instruments they chose
    not to answer today (``declined``). Plaintext by design (workflow): instruments asked,
    times, state, revision, reminder count."""

    encryption_owner_field = "client"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    schedule = models.ForeignKey(CheckInSchedule, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="check_ins")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="check_ins")
    case = models.ForeignKey("portal.Case", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="check_ins")
    instruments = models.JSONField(default=list)
    state = models.CharField(max_length=16, choices=CheckInState.choices,
                             default=CheckInState.OPEN)
    due_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answers = EncryptedJSONField(default=dict, blank=True)
    declined = EncryptedJSONField(default=list, blank=True)
    revision = models.PositiveIntegerField(default=0)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="completed", completed_at__isnull=False)
                | (~models.Q(state="completed") & models.Q(completed_at__isnull=True)),
                name="measures_checkin_completed_with_time",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "expires_at"], name="measures_checkin_open"),
            models.Index(fields=["client", "state"], name="measures_checkin_client"),
        ]

    def __str__(self) -> str:
        return f"check-in {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<CheckIn {self.id} {self.state}>"


class ResponseSource(models.TextChoices):
    INTAKE = "intake", pgettext_lazy("where a score came from", "Intake")
    CHECK_IN = "check_in", pgettext_lazy("where a score came from", "Check-in")


class MeasureResponse(EncryptedModel):
    """One scored answer to one instrument: a point of the client's series for it.

    From an intake (its scores, the first points of each series) or a check-in. Encrypted
    under the client's key: ``items`` (each item's answer), ``total`` and ``band``.
    Plaintext by design, so a series is one indexed query: the client, the case (couple
    or family; empty for the individual record), the instrument and its version, when it
    was taken, and where it came from."""

    encryption_owner_field = "client"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="measure_responses")
    case = models.ForeignKey("portal.Case", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="measure_responses")
    instrument = models.CharField(max_length=INSTRUMENT_SLUG_LENGTH)
    instrument_version = models.CharField(max_length=INSTRUMENT_VERSION_LENGTH)
    taken_at = models.DateTimeField()
    source = models.CharField(max_length=16, choices=ResponseSource.choices)
    # The intake it came from (no foreign key: the intake is another app's table; the
    # response outlives nothing, both go with the client).
    intake_id = models.UUIDField(null=True, blank=True)
    check_in = models.ForeignKey(CheckIn, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="responses")
    items = EncryptedJSONField(default=dict)
    total = EncryptedIntegerField()
    band = EncryptedCharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["intake_id", "instrument"],
                                    condition=models.Q(intake_id__isnull=False),
                                    name="measures_response_once_per_intake"),
            models.UniqueConstraint(fields=["check_in", "instrument"],
                                    condition=models.Q(check_in__isnull=False),
                                    name="measures_response_once_per_check_in"),
            models.CheckConstraint(
                condition=models.Q(source="intake", intake_id__isnull=False,
                                   check_in__isnull=True)
                | models.Q(source="check_in", intake_id__isnull=True, check_in__isnull=False),
                name="measures_response_one_source",
            ),
        ]
        indexes = [models.Index(fields=["client", "instrument", "taken_at"],
                                name="measures_response_series")]

    def __str__(self) -> str:
        return f"measure response {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<MeasureResponse {self.id} {self.instrument}>"


class ReviewFlag(models.Model):
    """A reliable deterioration on an instrument, for the care team to look at: not a
    safety alert (no email in the night), a mark on the caseload until a clinician says
    they have reviewed it. Raised once per response that crossed the rule.

    Plaintext by design (workflow), like a safety alert: that a flag exists says a score
    worsened by the practice's reliable-change rule, never the score."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    case = models.ForeignKey("portal.Case", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    response = models.OneToOneField(MeasureResponse, on_delete=models.CASCADE,
                                    related_name="review_flag")
    raised_at = models.DateTimeField(default=timezone.now)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reviewed_by__isnull=True) | models.Q(reviewed_at__isnull=False),
                name="measures_reviewflag_reviewed_by_only_when_reviewed",
            ),
        ]

    def __str__(self) -> str:
        return f"review flag {self.id.hex[:8]}"

    @property
    def is_open(self) -> bool:
        return self.reviewed_at is None
