"""Intake storage. Questionnaire versions are practice data (no personal data), immutable
once stored; a client's intake holds their answers, encrypted under their data key."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from intake.instrument_schema import (
    SLUG_MAX_LENGTH,
    VERSION_MAX_LENGTH,
    InstrumentDefinition,
    parse_instrument,
)
from intake.schema import Questionnaire, active_language, parse_definition
from portal.crypto.fields import EncryptedJSONField, EncryptedTextField
from portal.crypto.models import EncryptedModel


class ImmutableVersionError(Exception):
    """A stored questionnaire or instrument version was about to change."""


class VersionOrigin(models.TextChoices):
    SHIPPED = "shipped", _("Shipped with the portal")
    PRACTICE = "practice", _("Written by the practice")


class QuestionnaireVersion(models.Model):
    """One version of a questionnaire definition, exactly as clients saw it.

    ``definition`` is what clients answered, self-contained (instrument references
    expanded) and hashed (``sha256``); ``source`` is what it was written as, instrument
    blocks as references, which a new draft starts from (null for a shipped version stored
    before the builder: ``intake.builder.sources`` finds its file). Shipped versions keep
    their file's slug; a practice's own questionnaires have slugs of their own, so a
    shipped update never collides with, or replaces, what the practice wrote."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=64)
    version = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    definition = models.JSONField()
    sha256 = models.CharField(max_length=64)
    source = models.JSONField(null=True, blank=True)
    origin = models.CharField(max_length=16, choices=VersionOrigin.choices,
                              default=VersionOrigin.SHIPPED)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="questionnaire_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.slug} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableVersionError("A stored questionnaire version never changes.")
        super().save(*args, **kwargs)

    @property
    def questionnaire(self) -> Questionnaire:
        """The definition, parsed, its texts in the language of the page being written
        (the reader's: a client reads their own language, a clinician theirs). Parsed once
        per language on this instance."""
        return self.questionnaire_in(active_language())

    def questionnaire_in(self, language: str) -> Questionnaire:
        """The definition, parsed, its texts for a reader of ``language``. A stored version
        never changes, so the parse is kept for the process (``_parsed_versions``): a
        request reads it without decoding or parsing the definition again. The definition
        itself is read only on a miss (views may defer it)."""
        return _parsed_versions.get(self, language)


class _ParsedVersions:
    """The process's parsed questionnaires, by (version, its hash, language); the newest
    ``size`` kept. Versions are immutable (``QuestionnaireVersion.save`` refuses changes)
    and parsed questionnaires frozen, so one parse serves every request of the process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._parsed: OrderedDict[tuple[uuid.UUID, str, str], Questionnaire] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: QuestionnaireVersion, language: str) -> Questionnaire:
        key = (version.pk, version.sha256, language)
        with self._lock:
            found = self._parsed.get(key)
            if found is not None:
                self._parsed.move_to_end(key)
                return found
        parsed = parse_definition(version.definition, language)
        with self._lock:
            self._parsed[key] = parsed
            while len(self._parsed) > self.size:
                self._parsed.popitem(last=False)
        return parsed


_parsed_versions = _ParsedVersions(size=64)


def with_questionnaire(intakes: QuerySet[Intake]) -> QuerySet[Intake]:
    """``intakes`` with their questionnaire version joined, but not its definition or
    source (two JSON documents decoded on every row otherwise): pages read the parsed
    questionnaire from the process's cache (``_parsed_versions``), and the definition
    is fetched only when a process parses that version for the first time."""
    return intakes.select_related("questionnaire").defer(
        "questionnaire__definition", "questionnaire__source")


class QuestionnaireDraft(models.Model):
    """A practice admin's next version of a questionnaire, being written in the builder:
    practice data (no client's words), changed freely until it is published as a
    ``QuestionnaireVersion`` and deleted. One draft per questionnaire (``slug``); each save
    bumps ``revision``, and a save based on an older one (a second tab, a second admin) is
    refused instead of overwriting (``intake.builder.drafts.draft_save``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=200)  # the default language's, for lists
    based_on = models.ForeignKey(QuestionnaireVersion, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="drafts")
    source = models.JSONField()
    revision = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.slug} (draft)"


class IntakeKind(models.TextChoices):
    """Who starts an intake, which decides the questionnaire they answer."""

    INDIVIDUAL = "individual", _("An adult client, individually")
    PARTNER = "partner", _("A partner in a couple")
    ADULT = "adult", _("An adult or guardian in a family")
    ADOLESCENT = "adolescent", _("A young person with their own account")


class QuestionnaireAssignment(models.Model):
    """The questionnaire (``slug``) new intakes of a kind start on: its newest version.
    No row: the shipped one (``intake.builder.assignments``). An intake already started
    keeps the version it started on."""

    kind = models.CharField(max_length=16, choices=IntakeKind.choices, primary_key=True)
    slug = models.SlugField(max_length=64)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.kind}: {self.slug}"


# What a staff member did or will do about a safety alert, in a few sentences.
ACKNOWLEDGEMENT_NOTE_MAX_LENGTH = 1000


# The mark a reader sees beside answers given in another language than theirs, by the
# language answered in (``Intake.answered_in_mark``).
ANSWERED_IN = {
    "en": _("Answered in English"),
    "es": _("Answered in Spanish"),
}


class IntakeState(models.TextChoices):
    DRAFT = "draft", _("In progress")
    SUBMITTED = "submitted", _("Submitted")


class Intake(EncryptedModel):
    """One client's intake: a draft they fill in page by page, then a read-only submission.

    Everything the client told us (``answers``), everything derived from it (``scores``)
    and the copy of their details the "About you" page started from (``details_on_file``)
    is encrypted under the client's data key. Plaintext by design, for the workflow: the
    state, the revision counter, the page reached, timestamps and who marked the intake
    reviewed. A safety answer raises the intake's ``SafetyAlert``, a row of its own.
    """

    encryption_owner_field = "client"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intakes"
    )
    questionnaire = models.ForeignKey(QuestionnaireVersion, on_delete=models.PROTECT)
    # The couple or family case this intake belongs to; empty for the client's individual
    # record. A person in both keeps two intakes, each read by its own care team.
    case = models.ForeignKey("portal.Case", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="intakes")
    state = models.CharField(max_length=16, choices=IntakeState.choices,
                             default=IntakeState.DRAFT)
    # Bumped by every save: a save based on an older revision (another tab, another device)
    # is refused instead of overwriting newer answers.
    revision = models.PositiveIntegerField(default=0)
    answers = EncryptedJSONField(default=dict, blank=True)
    scores = EncryptedJSONField(null=True, blank=True)
    # The client's details on file (their profile) as last copied into the "About you"
    # answers, by field name: an answer still equal to its copy is one the client has not
    # touched, so sending the intake leaves that detail as the profile holds it. Null until
    # the first copy.
    details_on_file = EncryptedJSONField(null=True, blank=True)
    last_section = models.CharField(max_length=64, blank=True)
    # The language the client answered in (a language code, "en", "es"), set from the page's
    # language each time they save or send; "" before the first save. Plaintext by design:
    # it says which words they read, nothing of what they wrote. Their answers are kept
    # exactly as typed: a clinician reads the questions in their own language beside them,
    # marked with this language when it is not the clinician's.
    language = models.CharField(max_length=16, blank=True)
    # A staff member has read the submitted intake (separate from the safety alert).
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(state="draft", case__isnull=True),
                name="intake_one_draft_per_client",
            ),
            models.UniqueConstraint(
                fields=["client", "case"],
                condition=models.Q(state="draft", case__isnull=False),
                name="intake_one_draft_per_client_and_case",
            ),
        ]

    def __str__(self) -> str:
        return f"intake {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<Intake {self.id} {self.state}>"

    @property
    def is_submitted(self) -> bool:
        return self.state == IntakeState.SUBMITTED

    @property
    def answered_in_mark(self) -> str:
        """"Answered in Spanish" (in the reader's language) when the client answered in
        another language than the page being written; "" when it is the same, or unknown
        (saved before the language was recorded)."""
        if not self.language or self.language == active_language():
            return ""
        mark = ANSWERED_IN.get(self.language)
        if mark is None:
            return gettext("Answered in another language (%(code)s)") % {"code": self.language}
        return str(mark)

    @property
    def raised_safety_alert(self) -> SafetyAlert | None:
        """The intake's ``SafetyAlert`` (open or closed: once raised, it stays), or None when
        no safety answer raised one. One query the first time, none when ``safety_alert``
        was joined (``select_related``) or the alert was raised through this instance."""
        try:
            return self.safety_alert
        except SafetyAlert.DoesNotExist:
            return None

    @property
    def needs_prompt_review(self) -> bool:
        """Whether a safety answer raised this intake's alert (open or closed)."""
        return self.raised_safety_alert is not None

    @property
    def safety_alert_open(self) -> bool:
        """Whether the intake's safety alert waits for someone to acknowledge it."""
        alert = self.raised_safety_alert
        return alert is not None and alert.is_open


class SafetyAlert(models.Model):
    """A safety answer (e.g. PHQ-9 item 9 above "Not at all") that needs a clinician's
    prompt attention, given on an intake or on a check-in between sessions (``source``).

    On an intake: raised once, when the client first saves or sends such an answer, and
    kept once raised whatever they answer later. The care team is emailed about it once
    (``trigger`` says why: the flagged intake was sent, or the flagged draft waited unsent
    past the practice's ``safety_alert_draft_hours``). On a check-in (``check_in_id``, the
    ``measures`` app's row, named by id: no foreign key across apps): raised and emailed at
    once, on the save that gives the answer (``trigger`` "check_in"), because a check-in is
    a two-minute form with no draft to wait for. The first staff member who acknowledges it
    closes it (``closed_at``, ``closed_by``); every acknowledgement, the closing one first, is
    a ``SafetyAlertAcknowledgement`` pointing here.

    At most one alert per intake and one per check-in (unique links), exactly one of the
    two (a check constraint). ``client`` and ``case`` say whose record it belongs to (the
    client's individual record, or a couple or family case), so who may see it is decided
    as for any record kept per case (``portal.access.case_record_filter``), whatever raised
    it. Written only by ``intake.safety_alerts`` under a row lock (the intake's, or the
    alert's own for a check-in). Plaintext by design (workflow): that an alert exists says
    only that some safety answer was given, not which; the notes about it live encrypted on
    the acknowledgements, under the client's key. ``closed_by`` is ``SET_NULL``: deleting a
    staff account keeps the record, and the audit trail keeps the actor's id.
    """

    class Source(models.TextChoices):
        INTAKE = "intake", "An intake"
        CHECK_IN = "check_in", "A check-in"

    class Trigger(models.TextChoices):
        SUBMITTED = "submitted", "A flagged intake was sent"
        DRAFT_UNSENT = "draft_unsent", "A flagged draft was left unsent past the practice's hours"
        CHECK_IN = "check_in", "A check-in answer was saved"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    # The couple or family case whose record it belongs to; empty for the individual record.
    case = models.ForeignKey("portal.Case", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.INTAKE)
    intake = models.OneToOneField(Intake, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="safety_alert")
    # The check-in (``measures.CheckIn``) whose answer raised it; an id, not a foreign key.
    check_in_id = models.UUIDField(null=True, blank=True, unique=True)
    # When the safety answer was first saved or sent. For alerts raised before the time was
    # recorded (migrated from the intake's columns): the submission, else the last save.
    raised_at = models.DateTimeField(default=timezone.now)
    # When the care team (or, with none, the admins) was emailed, and why; once per alert.
    emailed_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(emailed_at__isnull=True, trigger="")
                           | models.Q(emailed_at__isnull=False,
                                      trigger__in=["submitted", "draft_unsent", "check_in"])),
                name="intake_safetyalert_emailed_with_its_trigger",
            ),
            models.CheckConstraint(
                condition=(models.Q(source="intake", intake__isnull=False,
                                    check_in_id__isnull=True)
                           | models.Q(source="check_in", intake__isnull=True,
                                      check_in_id__isnull=False)),
                name="intake_safetyalert_one_source",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_by__isnull=True) | models.Q(closed_at__isnull=False),
                name="intake_safetyalert_closed_by_only_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"safety alert {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<SafetyAlert {self.id} {'open' if self.is_open else 'closed'}>"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def closing_acknowledgement(self) -> SafetyAlertAcknowledgement | None:
        """The acknowledgement that closed the alert (its first), or None while it is open.
        Its note is decrypted on first read, like any acknowledgement's."""
        return self.acknowledgements.order_by("at", "id").first()


class SafetyAlertAcknowledgement(EncryptedModel):
    """One staff member's acknowledgement of a safety alert, with their note of what they
    did or will do. Every acknowledgement is kept, oldest first: a second clinician who also
    calls the client adds theirs instead of being turned away. The first one closed the
    alert (``SafetyAlert.closed_at``/``closed_by``).

    The note is clinical content about the client, so it is encrypted under the *client's*
    data key (``encryption_owner_field = "client"``, the alert's client, copied here because
    key owners are found by a direct foreign key): erasing the client shreds it, and
    ``rotate_keys --reencrypt`` re-seals it with the client's other values. Plaintext by
    design: who acknowledged (a staff account; ``SET_NULL`` so deleting a staff account
    keeps the record, while the audit trail keeps the actor's id) and when.
    """

    encryption_owner_field = "client"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    alert = models.ForeignKey(SafetyAlert, on_delete=models.CASCADE,
                              related_name="acknowledgements")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
        help_text="The alert's client: whose data key protects the note.",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    # Null only on acknowledgements made before notes were asked for.
    note = EncryptedTextField(max_length=ACKNOWLEDGEMENT_NOTE_MAX_LENGTH, null=True,
                              blank=True)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"acknowledgement {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<SafetyAlertAcknowledgement {self.id}>"

    def clean(self) -> None:
        """The note must be sealed under the key of the client whose intake or check-in
        raised the alert."""
        if self.alert_id is not None and self.client_id != self.alert.client_id:
            raise ValidationError("An acknowledgement belongs to the alert's client.")


class IntakeReminderState(models.Model):
    """When the client last opened their unsent intake, and the reminders sent about it
    (``intake.reminders``). A row of its own, not columns on ``Intake``: recording a visit
    or a reminder must not touch the intake's ``updated_at`` (the answers' last save) or
    its revision, which guards the answers against stale pages.

    Plaintext by design (workflow): times and a count, nothing the client typed. Deleted
    with the intake; kept after submission only as long as the intake is."""

    intake = models.OneToOneField(Intake, on_delete=models.CASCADE, primary_key=True,
                                  related_name="reminder_state")
    # The last time the client opened a page of the intake (GET by its owner).
    last_visit_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reminders_sent=0, last_reminded_at__isnull=True)
                | models.Q(reminders_sent__gt=0, last_reminded_at__isnull=False),
                name="intake_reminderstate_count_with_time",
            ),
        ]

    def __str__(self) -> str:
        return f"reminders for intake {self.intake_id.hex[:8]}"


class InstrumentVersion(models.Model):
    """One version of an instrument definition (PHQ-9, GAD-7, CSI-4), exactly as shipped.

    Practice data, no personal data. Kept so that a score taken with an older version
    (a check-in names its instrument's slug and version) is always read back against the
    items and bands it was answered with, after the shipped file moves on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=SLUG_MAX_LENGTH)
    version = models.CharField(max_length=VERSION_MAX_LENGTH)
    definition = models.JSONField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="instrument_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.slug} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableVersionError("A stored instrument version never changes.")
        super().save(*args, **kwargs)

    @property
    def instrument(self) -> InstrumentDefinition:
        """The definition, parsed, its texts in the language of the page being written.
        Parsed once per language on this instance."""
        language = active_language()
        parsed = self.__dict__.setdefault("_parsed_by_language", {})
        if language not in parsed:
            parsed[language] = parse_instrument(self.definition, language)
        instrument: InstrumentDefinition = parsed[language]
        return instrument
