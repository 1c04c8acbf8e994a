"""Intake writes: start a draft, save a page, submit (a safety answer raises the intake's
safety alert, through ``intake.safety_alerts``), mark a submitted intake reviewed.

Every write locks the intake row and checks the revision the client's page was built from,
so two tabs or two devices never overwrite each other silently: the older one is refused
and shown the newer answers. Valid answers on a page are saved even when others on the
same page are refused, so nothing already typed is lost. Submitting twice is harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from intake.answers import clean_section, missing_answers, prune_hidden
from intake.builder.assignments import version_for
from intake.events import IntakeSent, intake_sent, scored_instruments
from intake.models import Intake, IntakeKind, IntakeState, with_questionnaire
from intake.notifications import notify_submission
from intake.profile_details import profile_answers, profile_changes_from_intake
from intake.safety_alerts import raise_alert
from intake.schema import Questionnaire
from intake.scoring import needs_prompt_review, scores
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.i18n.languages import current_language
from portal.models import Case, ParticipantRole, User
from portal.services.profiles import PROFILE_FIELDS, SOURCE_INTAKE, profile_of, profile_update


class StaleRevision(Exception):
    """The page was built from an older revision; ``intake`` holds the newer answers."""

    def __init__(self, intake: Intake) -> None:
        super().__init__("These answers were changed in another window or device.")
        self.intake = intake


class AlreadySubmitted(Exception):
    """A submitted intake is read-only."""


class NotSubmitted(Exception):
    """Only a submitted intake can be marked reviewed: a draft may still change."""


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


# The kind of intake each person in a case starts, by their part in it: it decides the
# questionnaire (``intake.builder.assignments``). A child without an account answers none:
# their guardians tell the practice about them in their own intakes.
CASE_KINDS: dict[str, str] = {
    ParticipantRole.PARTNER: IntakeKind.PARTNER,
    ParticipantRole.ADULT: IntakeKind.ADULT,
    ParticipantRole.ADOLESCENT: IntakeKind.ADOLESCENT,
}


class NoIntakeForThisRole(Exception):
    """This person's part in the case has no intake of its own (a child without an account)."""


def _case_kind(client: User, case: Case) -> str:
    role = case.participants.filter(person=client).values_list("role", flat=True).first()
    if role not in CASE_KINDS:
        raise NoIntakeForThisRole
    return CASE_KINDS[role]


def case_questionnaire(client: User, case: Case) -> Questionnaire:
    """The questionnaire ``client`` would answer in ``case`` (for the overview before they
    start); ``NoIntakeForThisRole`` for a part that has none."""
    return version_for(_case_kind(client, case)).questionnaire


def intake_start(*, client: User, case: Case | None = None) -> Intake:
    """The client's draft in their individual record (``case`` None) or in ``case``,
    created on first use against the questionnaire the practice chose for that kind of
    intake (``intake.builder.assignments.version_for``): a draft keeps the version it
    started on, whatever is published later. A second draft for the same record can never
    exist (conditional unique constraints), even from two tabs. The caller has checked that
    ``client`` is in ``case`` (``own_case_or_404``)."""
    drafts = Intake.objects.filter(client=client, case=case, state=IntakeState.DRAFT)
    draft = drafts.first()
    if draft is not None:
        return draft
    version = version_for(IntakeKind.INDIVIDUAL if case is None else _case_kind(client, case))
    try:
        with transaction.atomic():
            return Intake.objects.create(client=client, case=case, questionnaire=version)
    except IntegrityError:
        return drafts.get()


def _copy_details_on_file(intake: Intake, client: User) -> bool:
    """Bring the client's details on file into the draft's "About you" answers; True when
    anything changed (the caller saves). Decrypts the client's own profile.

    A detail is copied when its question is unanswered and was never filled, and follows the
    profile while the client has not touched it (its answer still equals the last copy, so a
    change made on the details page after the draft began shows here too). An answer the
    client typed or changed is never replaced. Only questions the questionnaire asks are
    filled. Not a new revision: only untouched answers move, so no tab's work is overwritten.
    """
    questionnaire = intake.questionnaire.questionnaire
    on_file = dict(intake.details_on_file or {})
    answers = dict(intake.answers)
    current = profile_answers(profile_of(client))
    for name in PROFILE_FIELDS:
        if not questionnaire.has_question(name):
            continue
        value = current.get(name)
        untouched = name in on_file and answers.get(name) == on_file[name]
        never_filled = name not in on_file and answers.get(name) in (None, "")
        if not (untouched or never_filled) or on_file.get(name) == value:
            continue
        if value is None:
            answers.pop(name, None)
            on_file.pop(name, None)
        else:
            answers[name] = value
            on_file[name] = value
    if answers == intake.answers and on_file == (intake.details_on_file or {}):
        return False
    intake.answers = answers
    intake.details_on_file = on_file
    return True


@transaction.atomic
def intake_fill_details(*, intake_id: Any, client: User) -> Intake:
    """The client's draft with their details on file copied into "About you" (see
    ``_copy_details_on_file``), saved when anything moved; a submitted intake is returned
    as it is. Called before a page or the review shows the answers."""
    intake = _locked(intake_id, client)
    if not intake.is_submitted and _copy_details_on_file(intake, client):
        intake.save(update_fields=["answers", "details_on_file", "updated_at"])
    return intake


def _raise_flag(intake: Intake, safety_answer: bool) -> None:
    """Raise the intake's safety alert on a safety answer (``raise_alert``: once raised it
    stays raised, with its first time, whatever is answered later). Asks nothing of the
    database when there is no safety answer."""
    if safety_answer and not intake.needs_prompt_review:
        raise_alert(intake=intake)


def _locked(intake_id: Any, client: User) -> Intake:
    """The client's own intake, its row locked for this transaction (its questionnaire
    version joined, not locked: every draft shares it)."""
    return (with_questionnaire(Intake.objects.all()).select_for_update(of=("self",))
            .get(pk=intake_id, client=client))


@transaction.atomic
def intake_save_section(
    *, intake_id: Any, client: User, section_id: str, posted: Mapping[str, Any], revision: int
) -> SaveOutcome:
    """Save one page (or one autosaved field) of the client's own draft.

    Refuses a stale ``revision`` (``StaleRevision``) and a submitted intake
    (``AlreadySubmitted``); an unknown ``section_id`` raises ``KeyError``. Valid answers
    are stored (encrypted), refused ones reported in ``errors`` with the old value kept. A
    safety answer raises the intake's safety alert, which stays raised.
    """
    return save_locked_section(intake=_locked(intake_id, client), client=client,
                               section_id=section_id, posted=posted, revision=revision)


def save_locked_section(
    *, intake: Intake, client: User, section_id: str, posted: Mapping[str, Any], revision: int
) -> SaveOutcome:
    """``intake_save_section`` for a draft the caller has already fetched with its row
    locked, in the transaction it still holds (``intake.access.get_own_intake(...,
    for_update=True)`` inside ``transaction.atomic``): the page's own view, which needs the
    draft before saving anyway, so the row is read once. Refuses to run outside a
    transaction, or on another client's draft."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("save_locked_section needs the caller's transaction and row lock.")
    if intake.client_id != client.pk:
        raise PermissionError("Not this client's intake.")
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
    intake.language = current_language()  # the language the client answered in
    _raise_flag(intake, safety_now)
    intake.save()
    return SaveOutcome(intake, result.errors, safety_now)


@transaction.atomic
def intake_submit(*, intake_id: Any, client: User, revision: int) -> Intake:
    """Submit the client's draft: answers to hidden questions are dropped, required ones
    checked (``IncompleteIntake``), scores computed and stored encrypted, the intake made
    read-only, the submission audited and the emails queued. Submitting an intake that is
    already submitted returns it unchanged (a double click, a resent form). Of the details
    on "About you", only those the client changed there are written to their profile
    (``profile_update``, audited by field name); untouched ones follow the profile as it is
    now, so a correction made on the details page meanwhile is kept."""
    intake = _locked(intake_id, client)
    if intake.is_submitted:
        return intake
    if revision != intake.revision:
        raise StaleRevision(intake)
    _copy_details_on_file(intake, client)
    questionnaire = intake.questionnaire.questionnaire
    answers = prune_hidden(questionnaire, intake.answers)
    missing = missing_answers(questionnaire, answers)
    if missing:
        raise IncompleteIntake(missing)
    intake.answers = answers
    intake.scores = [asdict(score) for score in scores(questionnaire, answers)]
    _raise_flag(intake, needs_prompt_review(questionnaire, answers))
    intake.state = IntakeState.SUBMITTED
    intake.submitted_at = timezone.now()
    intake.revision += 1
    intake.language = current_language()  # the language the client answered in
    intake.save()
    record_event(Action.INTAKE_SUBMITTED, actor=client, subject=client, target=intake)
    intake_sent.send(sender=Intake, event=IntakeSent(
        intake_id=intake.id, client_id=client.pk, case_id=intake.case_id,
        sent_at=intake.submitted_at, instruments=scored_instruments(questionnaire, answers)))
    profile_update(client=client,
                   values=profile_changes_from_intake(answers, intake.details_on_file or {}),
                   source=SOURCE_INTAKE)
    notify_submission(intake, client)
    return intake


@transaction.atomic
def intake_mark_reviewed(*, intake: Intake, staff: User) -> Intake:
    """A staff member who may open the intake (the caller has checked, through
    ``get_intake_for_staff``) records that they have read it. Only a submitted intake can be
    reviewed (``NotSubmitted`` for a draft, which may still change). Idempotent: marking it
    again keeps the first reviewer and time and records nothing. Audited with ids only.
    """
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    if not intake.is_submitted:
        raise NotSubmitted
    if intake.reviewed_at is not None:
        return intake
    intake.reviewed_at = timezone.now()
    intake.reviewed_by = staff
    intake.save(update_fields=["reviewed_at", "reviewed_by"])
    record_event(Action.INTAKE_REVIEWED, actor=staff, subject=intake.client_id, target=intake)
    return intake
