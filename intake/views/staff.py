"""Staff review of intakes: clinicians read their clients' intakes, safety alerts first.

The list shows plaintext workflow columns only (state, dates, the "needs prompt review" flag,
the page a draft has reached) and decrypts nothing, so it records nothing. Opening one intake
decrypts its answers and scores, so the opening is recorded (``intake.viewed``) after the
values are known to open and before any of them reaches a template. Who may see which intake
is decided in one place: ``clients_visible_to`` (through ``get_intake_for_staff``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET, require_POST

from intake.access import get_intake_for_staff
from intake.models import Intake, QuestionnaireVersion
from intake.presenters import NOT_ANSWERED, SectionRows, answer_sections, answer_text
from intake.schema import Questionnaire
from intake.scoring import scores as compute_scores
from intake.selectors import unacknowledged_alerts, visible_intakes
from intake.services import intake_acknowledge_review
from portal.access import permission_or_404
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.crypto.errors import KeyDestroyedError
from portal.models import User

INTAKES_PER_PAGE = 50

@dataclass(frozen=True)
class IntakeListRow:
    intake: Intake
    client_label: str
    reached: str  # the draft's latest page, e.g. "Your safety (page 4 of 7)"; "" if none
    acknowledged_by: str


def person_label(user: User | None) -> str:
    """A name staff recognise: the display name, else the login email (both plaintext)."""
    if user is None:
        return "a former staff member"
    return user.display_name or user.email


def _page_reached(questionnaire: Questionnaire, section_id: str) -> str:
    for number, section in enumerate(questionnaire.sections, start=1):
        if section.id == section_id:
            return f"{section.title} (page {number} of {len(questionnaire.sections)})"
    return ""


def _list_rows(intakes: list[Intake]) -> list[IntakeListRow]:
    """Rows for one page. Section titles come from the questionnaire definition (practice
    data), parsed once per version on the page rather than once per row."""
    parsed: dict[Any, Questionnaire] = {}
    rows = []
    for intake in intakes:
        reached = ""
        if not intake.is_submitted and intake.last_section:
            version: QuestionnaireVersion = intake.questionnaire
            if version.pk not in parsed:
                parsed[version.pk] = version.questionnaire
            reached = _page_reached(parsed[version.pk], intake.last_section)
        rows.append(IntakeListRow(
            intake=intake,
            client_label=person_label(intake.client),
            reached=reached,
            acknowledged_by=person_label(intake.prompt_review_acknowledged_by),
        ))
    return rows


@require_GET
@permission_or_404("access_staff_pages")
def staff_intake_list(request: HttpRequest) -> HttpResponse:
    """The intakes of the clients the user may open (every client for practice admins, the
    clinician's care team otherwise), unacknowledged safety alerts first.

    Only plaintext workflow columns are shown; answers and scores are neither loaded nor
    decrypted, so listing records no audit event and needs no client's data key.
    """
    intakes = visible_intakes(request.user).select_related("questionnaire")
    page = Paginator(intakes, INTAKES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": _list_rows(list(page.object_list)),
        "alerts": unacknowledged_alerts(request.user).count(),
    }
    return render(request, "intake/staff/intake_list.html", context)


@dataclass(frozen=True)
class SafetyTrigger:
    label: str  # the question, as the client read it
    answer: str  # what they answered, in words


def _safety_triggers(questionnaire: Questionnaire,
                     answers: Mapping[str, Any]) -> list[SafetyTrigger]:
    """The answers that match a safety rule now (e.g. PHQ-9 item 9 above "Not at all", a
    yes to current thoughts of ending one's life), in the client's words."""
    triggers = []
    for rule in questionnaire.safety:
        if rule.holds(answers) and questionnaire.has_question(rule.question):
            question = questionnaire.question(rule.question)
            text = answer_text(question, answers.get(rule.question)) or NOT_ANSWERED
            triggers.append(SafetyTrigger(question.label, text))
    return triggers


@dataclass(frozen=True)
class ScoreRow:
    title: str
    total: int
    max_total: int
    band: str
    attribution: str


def _score_rows(intake: Intake, questionnaire: Questionnaire,
                answers: Mapping[str, Any]) -> list[ScoreRow]:
    """Scores stored at submission (decrypted here); for a draft, scores worked out from the
    answers saved so far, only for scales whose every item is answered."""
    stored = intake.scores
    if stored is None and not intake.is_submitted:
        stored = [asdict(score) for score in compute_scores(questionnaire, answers)]
    attribution = {instrument.id: instrument.attribution
                   for instrument in questionnaire.instruments}
    return [
        ScoreRow(score["title"], score["total"], score["max_total"], score["band"],
                 attribution.get(score["instrument"], ""))
        for score in stored or []
    ]


@dataclass(frozen=True)
class IntakeReading:
    """Everything decrypted from one intake, ready for the template."""

    sections: list[SectionRows]
    scores: list[ScoreRow]
    triggers: list[SafetyTrigger]


def _read_intake(intake: Intake) -> IntakeReading:
    """Decrypt the answers and scores now, so the opening is recorded only once the values
    are known to open, and before any of them reaches a template."""
    questionnaire = intake.questionnaire.questionnaire
    answers = intake.answers
    return IntakeReading(
        sections=answer_sections(questionnaire, answers),
        scores=_score_rows(intake, questionnaire, answers),
        triggers=_safety_triggers(questionnaire, answers),
    )


@require_GET
@permission_or_404("access_staff_pages")
def staff_intake_detail(request: HttpRequest, intake_id: str) -> HttpResponse:
    """One intake, decrypted, for staff who may open it (404 for the rest, via
    ``get_intake_for_staff``): the safety alert first, then scores, then every answer.

    Each opening is an ``intake.viewed`` event the client can see, drafts included. An
    intake whose client was erased cannot be read: the page says so and nothing is recorded,
    because nothing was decrypted.
    """
    intake = get_intake_for_staff(request.user, intake_id)
    reading: IntakeReading | None = None
    try:
        reading = _read_intake(intake)
    except KeyDestroyedError:
        reading = None
    if reading is not None:
        record_event(Action.INTAKE_VIEWED, actor=request.user, subject=intake.client_id,
                     target=intake)
    context = {
        "intake": intake,
        "client_label": person_label(intake.client),
        "reading": reading,
        "alert_open": intake.needs_prompt_review
        and intake.prompt_review_acknowledged_at is None,
        "acknowledged_by": person_label(intake.prompt_review_acknowledged_by),
    }
    return render(request, "intake/staff/intake_detail.html", context)


@require_POST
@permission_or_404("access_staff_pages")
def staff_intake_acknowledge(request: HttpRequest, intake_id: str) -> HttpResponse:
    """A staff member who may open the intake confirms they have seen its safety alert and
    will follow up (404 for everyone else, via ``get_intake_for_staff``).

    The service records ``intake.review_acknowledged`` once; a second click, or a click on
    an intake without an alert, changes nothing. The message names no client detail.
    """
    intake = get_intake_for_staff(request.user, intake_id)
    intake = intake_acknowledge_review(intake=intake, clinician=request.user)
    if not intake.needs_prompt_review:
        messages.info(request, "This intake has no safety alert to acknowledge.")
    elif intake.prompt_review_acknowledged_by_id == request.user.pk:
        messages.success(request, "Thank you. The safety alert is marked as seen by you.")
    else:
        who = capfirst(person_label(intake.prompt_review_acknowledged_by))
        when = date_format(localtime(intake.prompt_review_acknowledged_at), "M j, Y, H:i")
        messages.info(request, f"{who} had already acknowledged this safety alert on {when}.")
    return redirect("staff_intake_detail", intake_id=intake.pk)
