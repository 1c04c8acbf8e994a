"""Intake writes: start a draft, save a page, submit, acknowledge a safety alert.

Every write locks the intake row and checks the revision the client's page was built from,
so two tabs or two devices never overwrite each other silently: the older one is refused
and shown the newer answers. Valid answers on a page are saved even when others on the
same page are refused, so nothing already typed is lost. Submitting twice is harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from intake.answers import clean_section, missing_answers, prune_hidden
from intake.definitions import install_definition
from intake.models import Intake, IntakeState
from intake.scoring import needs_prompt_review, scores
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import PracticeSettings, User
from portal.roles import Role


class StaleRevision(Exception):
    """The page was built from an older revision; ``intake`` holds the newer answers."""

    def __init__(self, intake: Intake) -> None:
        super().__init__("These answers were changed in another window or device.")
        self.intake = intake


class AlreadySubmitted(Exception):
    """A submitted intake is read-only."""


class IncompleteIntake(Exception):
    """Required questions are unanswered (their ids, in questionnaire order)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("Some required questions are not answered yet.")
        self.missing = missing


@dataclass
class SaveOutcome:
    intake: Intake
    errors: dict[str, str] = field(default_factory=dict)
    # A safety answer on the saved answers: show the crisis support text now.
    safety_now: bool = False


def intake_start(*, client: User) -> Intake:
    """The client's draft, created on first use against the shipped questionnaire. A
    second draft can never exist (a conditional unique constraint), even from two tabs."""
    draft = Intake.objects.filter(client=client, state=IntakeState.DRAFT).first()
    if draft is not None:
        return draft
    version = install_definition()
    try:
        with transaction.atomic():
            return Intake.objects.create(client=client, questionnaire=version)
    except IntegrityError:
        return Intake.objects.get(client=client, state=IntakeState.DRAFT)


def _locked(intake_id: Any, client: User) -> Intake:
    return Intake.objects.select_for_update().get(pk=intake_id, client=client)


@transaction.atomic
def intake_save_section(
    *, intake_id: Any, client: User, section_id: str, posted: Mapping[str, Any], revision: int
) -> SaveOutcome:
    """Save one page (or one autosaved field) of the client's own draft.

    Refuses a stale ``revision`` (``StaleRevision``) and a submitted intake
    (``AlreadySubmitted``); an unknown ``section_id`` raises ``KeyError``. Valid answers
    are stored (encrypted), refused ones reported in ``errors`` with the old value kept. A
    safety answer sets "needs prompt review", which stays set once raised.
    """
    intake = _locked(intake_id, client)
    if intake.is_submitted:
        raise AlreadySubmitted
    if revision != intake.revision:
        raise StaleRevision(intake)
    questionnaire = intake.questionnaire.questionnaire
    section = questionnaire.section(section_id)
    result = clean_section(questionnaire, section, posted, intake.answers)
    own = {question.id for question in section.questions}
    answers = {key: value for key, value in intake.answers.items() if key not in own}
    answers.update(result.answers)
    safety_now = needs_prompt_review(questionnaire, answers)
    intake.answers = answers
    intake.revision += 1
    intake.last_section = section_id
    intake.needs_prompt_review = intake.needs_prompt_review or safety_now
    intake.save()
    return SaveOutcome(intake, result.errors, safety_now)


def _notify_submission(intake: Intake, client: User) -> None:
    """After commit: a confirmation to the client and "a new intake is ready" to the
    practice admins. Neither email holds any answer, score or flag."""
    practice = PracticeSettings.load()
    context = {"practice": practice}
    to_client = (
        render_to_string("intake/email/submitted_client_subject.txt", context).strip(),
        render_to_string("intake/email/submitted_client_message.txt", context),
    )
    to_practice = (
        render_to_string("intake/email/submitted_practice_subject.txt", context).strip(),
        render_to_string("intake/email/submitted_practice_message.txt", context),
    )
    admins = list(
        User.objects.filter(groups__name=Role.PRACTICE_ADMIN.value, is_active=True)
        .values_list("email", flat=True)
    )
    client_email = client.email

    def send() -> None:
        send_mail(*to_client, settings.DEFAULT_FROM_EMAIL, [client_email])
        if admins:
            send_mail(*to_practice, settings.DEFAULT_FROM_EMAIL, admins)

    transaction.on_commit(send)


@transaction.atomic
def intake_submit(*, intake_id: Any, client: User, revision: int) -> Intake:
    """Submit the client's draft: answers to hidden questions are dropped, required ones
    checked (``IncompleteIntake``), scores computed and stored encrypted, the intake made
    read-only, the submission audited and the emails queued. Submitting an intake that is
    already submitted returns it unchanged (a double click, a resent form)."""
    intake = _locked(intake_id, client)
    if intake.is_submitted:
        return intake
    if revision != intake.revision:
        raise StaleRevision(intake)
    questionnaire = intake.questionnaire.questionnaire
    answers = prune_hidden(questionnaire, intake.answers)
    missing = missing_answers(questionnaire, answers)
    if missing:
        raise IncompleteIntake(missing)
    intake.answers = answers
    intake.scores = [asdict(score) for score in scores(questionnaire, answers)]
    intake.needs_prompt_review = intake.needs_prompt_review or needs_prompt_review(
        questionnaire, answers
    )
    intake.state = IntakeState.SUBMITTED
    intake.submitted_at = timezone.now()
    intake.revision += 1
    intake.save()
    record_event(Action.INTAKE_SUBMITTED, actor=client, subject=client, target=intake)
    _notify_submission(intake, client)
    return intake


@transaction.atomic
def intake_acknowledge_review(*, intake: Intake, clinician: User) -> Intake:
    """A clinician confirms they have seen a safety alert. The caller has checked access
    (``get_intake_for_staff``); acknowledging twice keeps the first acknowledgement."""
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    if not intake.needs_prompt_review or intake.prompt_review_acknowledged_at is not None:
        return intake
    intake.prompt_review_acknowledged_at = timezone.now()
    intake.prompt_review_acknowledged_by = clinician
    # Not ``updated_at``: that is when the client last saved answers.
    intake.save(update_fields=["prompt_review_acknowledged_at",
                               "prompt_review_acknowledged_by"])
    record_event(Action.INTAKE_REVIEW_ACKNOWLEDGED, actor=clinician, subject=intake.client_id,
                 target=intake)
    return intake
