"""Intakes in a couple or family case: what a person may read of the others' answers,
and the care team's side-by-side reading.

Two gates, both required for a person to read someone else's answer: *whose* intakes
(``portal.access.authors_sharing_with``: the other partner; another adult of the family;
a guardian reading their adolescent's) and *which* answers (``intake.visibility
.shared_answers``: only those the author was told are shared). A partner never reaches a
private answer: it is dropped before anything is put in words. Each reading decrypts the
author's intake, so it is recorded per author (``intake.shared_viewed``).

Staff read a case through ``get_case_for_staff`` (its care team, or admins): every
participant's intake side by side, each answer marked shared or private, scores and safety
alerts per person. Decrypting each person's intake is an opening of *their* record,
recorded as ``intake.viewed`` with them as the subject, so each person's "Who has opened my
record" lists the openings of their own record only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_safe

from intake.models import Intake, IntakeState, with_questionnaire
from intake.presenters import SectionRows, answer_sections
from intake.schema import SHARED, Questionnaire
from intake.selectors import person_label
from intake.views.staff import IntakeReading, read_intake
from intake.visibility import shared_answers, visibility_words
from portal.access import (
    authors_sharing_with,
    get_case_for_staff,
    own_case_or_404,
    permission_or_404,
)
from portal.audit.actions import Action
from portal.audit.reads import audited_read
from portal.crypto.errors import KeyDestroyedError
from portal.http import AuthenticatedHttpRequest
from portal.models import Case, CaseParticipant, Guardianship, ParticipantRole, User

# How a person is named to the others of their case: by their part, never by anything
# they told us (their name is sealed under their own key). In English here, in the reader's
# language on the page.
_ROLE_WORDS: dict[str, str] = {
    ParticipantRole.PARTNER: gettext_noop("Your partner"),
    ParticipantRole.ADULT: gettext_noop("Another adult in your family's case"),
    ParticipantRole.ADOLESCENT: gettext_noop("Your young person"),
}


def _latest(intakes: list[Intake]) -> dict[Any, Intake]:
    """Each author's newest intake of those given (submitted first, else the draft)."""
    latest: dict[Any, Intake] = {}
    for intake in intakes:
        current = latest.get(intake.client_id)
        if current is None or (intake.is_submitted, intake.submitted_at or intake.created_at) > (
                current.is_submitted, current.submitted_at or current.created_at):
            latest[intake.client_id] = intake
    return latest


def _shared_sections(questionnaire: Questionnaire, answers: dict[str, Any],
                     typed_in: str = "") -> list[SectionRows]:
    """The author's shared answers in words: the sections and questions they were told are
    shared, filled from ``shared_answers`` only (a private answer never reaches here); what
    they typed marked with the language they answered in (``typed_in``)."""
    shared = shared_answers(questionnaire, answers)
    shared_ids = questionnaire.shared_question_ids()
    sections = []
    for section in answer_sections(questionnaire, shared, typed_in=typed_in):
        rows = tuple(row for row in section.rows if row.question_id in shared_ids)
        if rows:
            sections.append(SectionRows(section.section_id, section.title, rows))
    return sections


def _shared_sections_of(intake: Intake) -> list[SectionRows]:
    """Decrypt ``intake``'s answers and keep its shared sections only."""
    return _shared_sections(intake.questionnaire.questionnaire, intake.answers,
                            intake.language)


@dataclass(frozen=True)
class SharedReading:
    label: str
    submitted_at: Any
    sections: list[SectionRows]


@require_safe
@permission_or_404("access_client_pages")
def intake_shared(request: AuthenticatedHttpRequest, case_id: str) -> HttpResponse:
    """What the others of the client's case shared with them, from their sent intakes.
    Drafts are never shown: an answer is shared once its author sends it."""
    case = own_case_or_404(request.user, case_id)
    intakes = list(with_questionnaire(Intake.objects.filter(
        authors_sharing_with(request.user), case=case, state=IntakeState.SUBMITTED)))
    roles = dict(CaseParticipant.objects.filter(case=case, person__isnull=False)
                 .values_list("person_id", "role"))
    readings = []
    for intake in _latest(intakes).values():
        try:
            sections = audited_read(Action.INTAKE_SHARED_VIEWED,
                                    read=partial(_shared_sections_of, intake),
                                    actor=request.user, subject=intake.client_id,
                                    target=intake)
        except KeyDestroyedError:
            continue  # an erased person's words are gone for everyone
        role = roles.get(intake.client_id) or ""
        readings.append(SharedReading(gettext(_ROLE_WORDS.get(role, gettext_noop("Someone"))),
                                      intake.submitted_at, sections))
    return render(request, "intake/client/shared.html", {"case": case, "readings": readings})


@dataclass(frozen=True)
class ParticipantColumn:
    participant: CaseParticipant
    label: str
    intake: Intake | None
    reading: IntakeReading | None
    erased: bool
    shared_ids: frozenset[str]
    private_word: str
    shared_word: str
    guardians: list[str]


def _column(request: AuthenticatedHttpRequest, participant: CaseParticipant,
            intake: Intake | None, guardians: list[str]) -> ParticipantColumn:
    person: User | None = participant.person
    label = person_label(person) if participant.role != ParticipantRole.CHILD else (
        gettext("Child (no login)"))
    reading, erased, shared_ids = None, False, frozenset[str]()
    shared_word = private_word = ""
    if intake is not None:
        questionnaire = intake.questionnaire.questionnaire
        shared_ids = questionnaire.shared_question_ids()
        shared_word = getattr(visibility_words(questionnaire.audience, SHARED), "badge", "")
        private_word = (gettext("Private") if questionnaire.audience != "individual"
                        else "")
        alert = intake.raised_safety_alert
        try:
            reading = audited_read(Action.INTAKE_VIEWED,
                                   read=lambda: read_intake(intake, alert),
                                   actor=request.user, subject=intake.client_id, target=intake)
        except KeyDestroyedError:
            erased = True
    return ParticipantColumn(participant, label, intake, reading, erased, shared_ids,
                             private_word, shared_word, guardians)


@require_safe
@permission_or_404("access_staff_pages")
def staff_case_intakes(request: AuthenticatedHttpRequest, case_id: str) -> HttpResponse:
    """Every person of the case side by side: their intake in this case (the sent one, else
    the draft), each answer marked shared or private, their scores and safety alert.
    Each decrypted intake is recorded as an opening of that person's record."""
    case: Case = get_case_for_staff(request.user, case_id)
    participants = list(case.participants.select_related("person").filter(
        person__isnull=False))
    intakes = _latest(list(Intake.objects.filter(case=case).select_related(
        "questionnaire", "client", "safety_alert")))
    labels = {p.pk: (person_label(p.person) if p.role != ParticipantRole.CHILD
                     else gettext("Child (no login)")) for p in participants}
    guardians: dict[Any, list[str]] = {}
    for link in Guardianship.objects.filter(case=case).defer("relationship",
                                                             "legal_authority"):
        guardians.setdefault(link.minor_id, []).append(labels.get(link.guardian_id, ""))
    columns = [_column(request, p, intakes.get(p.person_id), guardians.get(p.pk, []))
               for p in participants]
    return render(request, "intake/staff/case_intakes.html",
                  {"case": case, "columns": columns})
