"""Staff review of intakes: clinicians read their clients' intakes, safety alerts first.

The list shows plaintext workflow columns only (state, dates, the safety alert and who
closed it, who reviewed the intake, the page a draft has reached) and decrypts
nothing, so it records nothing. Opening one intake decrypts its answers, scores and the
acknowledgements' notes, so the opening is recorded (``intake.viewed``) after the values are
known to open and before any of them reaches a template. Who may see which intake is decided
in one place: ``case_record_filter`` (through ``get_intake_for_staff``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from intake.access import get_intake_for_staff
from intake.forms_staff import AcknowledgementForm
from intake.models import (
    Intake,
    QuestionnaireVersion,
    SafetyAlert,
    SafetyAlertAcknowledgement,
)
from intake.presenters import SectionRows, answer_sections, answer_text, not_answered
from intake.safety_alerts import close_alert
from intake.schema import DEFAULT_LANGUAGE, Questionnaire
from intake.score_scales import ScoreScale, score_scale
from intake.scoring import scores as compute_scores
from intake.selectors import (
    intakes_in_order,
    open_alerts_of_caseload,
    person_label,
    visible_intakes,
)
from intake.services import NotSubmitted, intake_mark_reviewed
from intake.views.acknowledgements import tell_acknowledged
from portal.access import permission_or_404
from portal.audit.actions import Action
from portal.audit.reads import audited_read
from portal.crypto.errors import KeyDestroyedError
from portal.formatting import format_when
from portal.http import AuthenticatedHttpRequest
from portal.i18n.texts import LangText

INTAKES_PER_PAGE = 50


@dataclass(frozen=True)
class IntakeListRow:
    intake: Intake
    client_label: str
    reached: str  # the draft's latest page, e.g. "Your safety (page 4 of 7)"; "" if none
    alert: SafetyAlert | None  # the intake's safety alert, if a safety answer raised one
    acknowledged_by: str  # who closed the alert, when it is closed
    reviewed_by: str


def _page_reached(questionnaire: Questionnaire, section_id: str) -> str:
    for number, section in enumerate(questionnaire.sections, start=1):
        if section.id == section_id:
            return gettext("%(title)s (page %(number)s of %(count)s)") % {
                "title": section.title, "number": number, "count": len(questionnaire.sections)}
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
        alert = intake.raised_safety_alert
        rows.append(IntakeListRow(
            intake=intake,
            client_label=person_label(intake.client),
            reached=reached,
            alert=alert,
            acknowledged_by=person_label(alert.closed_by) if alert else "",
            reviewed_by=person_label(intake.reviewed_by),
        ))
    return rows


@require_safe
@permission_or_404("access_staff_pages")
def staff_intake_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The intakes of the clients the user may open (every client for practice admins, the
    clinician's care team otherwise), open safety alerts first.

    Only plaintext workflow columns are shown; answers and scores are neither loaded nor
    decrypted, so listing records no audit event and needs no client's data key.
    """
    # The page's ids first (a sort of narrow rows), then those fifty intakes with their joins.
    ordered_ids = visible_intakes(request.user).values_list("pk", flat=True)
    page = Paginator(ordered_ids, INTAKES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": _list_rows(intakes_in_order(request.user, list(page.object_list))),
        # The intakes' alerts: a check-in's is on the staff home, not on this list.
        "alerts": open_alerts_of_caseload(request.user).filter(intake__isnull=False).count(),
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
            text = answer_text(question, answers.get(rule.question)) or not_answered()
            triggers.append(SafetyTrigger(question.label, text))
    return triggers


@dataclass(frozen=True)
class ScoreRow:
    title: str
    total: int
    max_total: int
    band: str
    attribution: str
    scale: ScoreScale | None  # the total drawn on the instrument's bands
    interpretation: str = ""  # what the score means, from the definition (the CSI-4's cut-off)


def _score_rows(intake: Intake, questionnaire: Questionnaire,
                answers: Mapping[str, Any]) -> list[ScoreRow]:
    """Scores stored at submission (decrypted here); for a draft, scores worked out from the
    answers saved so far, only for scales whose every item is answered. Each is drawn on the
    bands of the questionnaire version the client answered."""
    stored = intake.scores
    if stored is None and not intake.is_submitted:
        stored = [asdict(score) for score in compute_scores(questionnaire, answers)]
    instruments = {instrument.id: instrument for instrument in questionnaire.instruments}
    rows = []
    for score in stored or []:
        instrument = instruments.get(score["instrument"])
        # Stored in the definition's default language (``intake.scoring.score``): the
        # title is the definition's in the reader's language where there is one.
        title = instrument.title if instrument else LangText(score["title"], DEFAULT_LANGUAGE)
        band = LangText(score["band"], DEFAULT_LANGUAGE)
        rows.append(ScoreRow(
            title, score["total"], score["max_total"], band,
            instrument.attribution if instrument else "",
            score_scale(instrument, score["total"], band) if instrument else None,
            instrument.interpretation if instrument else "",
        ))
    return rows


@dataclass(frozen=True)
class AcknowledgementRow:
    by: str  # the staff member, as colleagues know them
    at: datetime
    # What they did or will do (decrypted); None before notes were asked for.
    note: str | None


def acknowledgement_rows(alert: SafetyAlert) -> list[AcknowledgementRow]:
    """Every acknowledgement of the safety alert, oldest first (the first closed it), notes
    decrypted (one query; one data key, the client's)."""
    return [
        AcknowledgementRow(person_label(row.by), row.at, row.note)
        for row in SafetyAlertAcknowledgement.objects.filter(alert=alert)
        .select_related("by").order_by("at", "id")
    ]


@dataclass(frozen=True)
class IntakeReading:
    """Everything decrypted from one intake, ready for the template."""

    sections: list[SectionRows]
    scores: list[ScoreRow]
    triggers: list[SafetyTrigger]
    # Who acknowledged the safety alert, when, and what they did or will do; oldest first.
    acknowledgements: list[AcknowledgementRow]


def read_intake(intake: Intake, alert: SafetyAlert | None) -> IntakeReading:
    """Decrypt the answers, scores and acknowledgement notes now, so the opening is recorded
    only once the values are known to open, and before any of them reaches a template."""
    questionnaire = intake.questionnaire.questionnaire
    answers = intake.answers
    return IntakeReading(
        sections=answer_sections(questionnaire, answers, typed_in=intake.language),
        scores=_score_rows(intake, questionnaire, answers),
        triggers=_safety_triggers(questionnaire, answers),
        acknowledgements=acknowledgement_rows(alert) if alert is not None else [],
    )


def _render_detail(request: HttpRequest, intake: Intake, *,
                   form: AcknowledgementForm | None = None, status: int = 200) -> HttpResponse:
    """The intake page. Decrypting it is an opening: recorded (``intake.viewed``) once the
    values are known to open. An intake whose client was erased cannot be read: the page
    says so and nothing is recorded, because nothing was decrypted."""
    alert = intake.raised_safety_alert
    reading: IntakeReading | None = None
    try:
        reading = audited_read(Action.INTAKE_VIEWED, read=lambda: read_intake(intake, alert),
                               actor=request.user, subject=intake.client_id, target=intake)
    except KeyDestroyedError:
        reading = None
    context = {
        "intake": intake,
        "client_label": person_label(intake.client),
        "reading": reading,
        "alert": alert,
        "alert_open": alert is not None and alert.is_open,
        "acknowledgement_form": form or AcknowledgementForm(),
        "reviewed_by": person_label(intake.reviewed_by),
    }
    return render(request, "intake/staff/intake_detail.html", context, status=status)


@require_safe
@permission_or_404("access_staff_pages")
def staff_intake_detail(request: AuthenticatedHttpRequest, intake_id: str) -> HttpResponse:
    """One intake, decrypted, for staff who may open it (404 for the rest, via
    ``get_intake_for_staff``): the safety alert first, then scores, then every answer.

    Each opening is an ``intake.viewed`` event the client can see, drafts included.
    """
    intake = get_intake_for_staff(request.user, intake_id)
    return _render_detail(request, intake)


@require_POST
@permission_or_404("access_staff_pages")
def staff_intake_acknowledge(request: AuthenticatedHttpRequest, intake_id: str) -> HttpResponse:
    """A staff member who may open the intake confirms they have seen its safety alert and
    says what they did or will do (404 for everyone else, via ``get_intake_for_staff``).
    The first acknowledgement closes the alert (``close_alert``); a colleague (or the same
    person, later) may add a further one, and every one is kept with its note.

    The note is required and at most 1,000 characters: a refused note comes back on the
    page (400) as typed, nothing saved; re-showing the page decrypts it again, so that is
    another recorded opening. The service records ``intake.review_acknowledged`` for each
    acknowledgement it stores, without the note; a resent form stores nothing. Messages
    name no client detail and never repeat the note.
    """
    intake = get_intake_for_staff(request.user, intake_id)
    alert = intake.raised_safety_alert
    if alert is None:
        messages.info(request, gettext("This intake has no safety alert to acknowledge."))
        return redirect("staff_intake_detail", intake_id=intake.pk)
    form = AcknowledgementForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, intake, form=form, status=400)
    try:
        outcome = close_alert(alert=alert, by=request.user,
                              note=form.cleaned_data["note"])
    except KeyDestroyedError:
        messages.info(request, gettext("This client's details were erased. Nothing can be "
                                       "added to their intake."))
        return redirect("staff_intake_detail", intake_id=intake.pk)
    tell_acknowledged(request, outcome)
    return redirect("staff_intake_detail", intake_id=intake.pk)


@require_POST
@permission_or_404("access_staff_pages")
def staff_intake_mark_reviewed(request: AuthenticatedHttpRequest, intake_id: str) -> HttpResponse:
    """A staff member who may open the intake (404 for everyone else, via
    ``get_intake_for_staff``) records that they have read it: ``intake.reviewed``, ids only.

    Only a submitted intake can be reviewed; a draft gets a message and nothing changes.
    Marking it again (a double click, a colleague) keeps the first reviewer and says so.
    Nothing is decrypted here.
    """
    intake = get_intake_for_staff(request.user, intake_id)
    try:
        intake = intake_mark_reviewed(intake=intake, staff=request.user)
    except NotSubmitted:
        messages.info(request, gettext("This intake is still in progress. It can be marked "
                                       "reviewed once the client has submitted it."))
        return redirect("staff_intake_detail", intake_id=intake.pk)
    if intake.reviewed_by_id == request.user.pk:
        messages.success(request, gettext("The intake is marked as reviewed by you."))
    else:
        who = capfirst(person_label(intake.reviewed_by))
        when = format_when(intake.reviewed_at)
        messages.info(request, gettext("%(who)s had already marked this intake reviewed on "
                                       "%(when)s.") % {"who": who, "when": when})
    return redirect("staff_intake_detail", intake_id=intake.pk)
