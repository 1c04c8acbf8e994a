"""The client's intake pages: an overview, one page per section, autosave, review, submit
and the read-only copy of what was sent.

Every view is for clients only (``access_client_pages``; everyone else gets a 404) and
fetches the intake through ``get_own_intake``, so another client's intake is a 404 too.
Nothing a client typed goes into a URL, a log line or a flash message (messages can travel
in a cookie): messages here are fixed sentences. POST data is hidden from error reports.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from intake.access import get_own_intake
from intake.answers import UNKNOWN_QUESTION, missing_answers, prune_hidden, visible
from intake.builder.assignments import version_for
from intake.forms import LISTED_FIELD, SectionForm, posted_answers
from intake.models import Intake, IntakeKind, IntakeState, with_questionnaire
from intake.presenters import answer_sections, page_visibility, posted_in_words, review_summary
from intake.reminders import record_client_visit
from intake.schema import Questionnaire, Section
from intake.services import (
    AlreadySubmitted,
    IncompleteIntake,
    NoIntakeForThisRole,
    StaleRevision,
    case_questionnaire,
    intake_fill_details,
    intake_start,
    save_locked_section,
)
from intake.services import intake_submit as submit_intake
from portal import rate_limits
from portal.access import own_case_or_404, permission_or_404
from portal.formatting import format_clock
from portal.http import AuthenticatedHttpRequest
from portal.models import Case
from portal.seams import before_intake
from portal.services.profiles import PROFILE_FIELDS

# Session flag: a safety answer was just saved, so the next intake page opens with the
# crisis support text. Kept server-side (sessions live in the database), never in a
# cookie message, because even "this person gave a safety answer" is sensitive.
SAFETY_SESSION_KEY = "intake_show_crisis_support"

# What the client is told: marked here in English (``gettext_noop``), and put in the
# client's language where it is shown or sent (``gettext``).
STALE_MESSAGE = gettext_noop(
    "You changed these answers in another window or device. Here is what is saved now; "
    "your answers from this page are shown below so you can copy anything you need."
)
STALE_AUTOSAVE_MESSAGE = gettext_noop(
    "You changed these answers in another window or device, so this page was not saved. "
    "Copy anything you need, then reload the page to see what is saved now."
)
SUBMITTED_AUTOSAVE_MESSAGE = gettext_noop(
    "You have already sent these answers, so they can't be changed."
)
AUTOSAVE_PAUSED_MESSAGE = gettext_noop(
    "Nothing is lost: everything you typed stays on this page, and it will be saved in a "
    "moment."
)
UNREADABLE_AUTOSAVE_MESSAGE = gettext_noop("This page could not be saved.")
SAVED_FOR_LATER = gettext_noop(
    "Your answers are saved. You can come back and carry on at any time."
)
INCOMPLETE_MESSAGE = gettext_noop("A few questions still need an answer before you can send this.")
STALE_SUBMIT_MESSAGE = gettext_noop(
    "Your answers changed in another window or device. Please check them below, then send "
    "them again."
)
ACTIONS = ("next", "back", "later")


# --- Helpers ----------------------------------------------------------------------------


def _questionnaire(intake: Intake) -> Questionnaire:
    return intake.questionnaire.questionnaire


def _section_or_404(questionnaire: Questionnaire, section_id: str) -> Section:
    try:
        return questionnaire.section(section_id)
    except KeyError:
        raise Http404 from None


def _visible_sections(questionnaire: Questionnaire, answers: dict[str, Any]) -> list[Section]:
    return [section for section in questionnaire.sections if visible(section, answers)]


def _next_visible(
    questionnaire: Questionnaire, answers: dict[str, Any], section_id: str, step: int
) -> Section | None:
    """The next (``step`` 1) or previous (``step`` -1) shown section, skipping any that a
    condition hides."""
    ids = [section.id for section in questionnaire.sections]
    index = ids.index(section_id) + step
    while 0 <= index < len(ids):
        candidate = questionnaire.sections[index]
        if visible(candidate, answers):
            return candidate
        index += step
    return None


def _section_url(intake: Intake, section: Section) -> str:
    return reverse("intake_section", args=[intake.id, section.id])


def _resume_url(intake: Intake) -> str:
    """Where "Continue" goes: the page saved last, or the first shown page."""
    questionnaire = _questionnaire(intake)
    shown = _visible_sections(questionnaire, intake.answers)
    for section in shown:
        if section.id == intake.last_section:
            return _section_url(intake, section)
    if shown:
        return _section_url(intake, shown[0])
    return reverse("intake_review", args=[intake.id])


def _revision(request: HttpRequest) -> int:
    """The revision the page was built from; a missing or malformed one can never match,
    so the save is refused as stale rather than guessed."""
    try:
        return int(request.POST.get("revision", ""))
    except ValueError:
        return -1


def _pdf_url(intake: Intake) -> str | None:
    # The PDF copy is another module's page; link it once it exists.
    try:
        return reverse("intake_pdf", args=[intake.id])
    except NoReverseMatch:
        return None


def _is_safety_section(questionnaire: Questionnaire, section: Section) -> bool:
    """A page holding a question that a safety rule looks at (the PHQ-9's item 9, the
    question about thoughts of ending one's life)."""
    watched = {rule.question for rule in questionnaire.safety}
    return any(question.id in watched for question in section.questions)


def _asks_for_details(section: Section) -> bool:
    """A page asking for details the client's profile holds ("About you"): it starts
    filled from them."""
    return any(question.id in PROFILE_FIELDS for question in section.questions)


def _take_safety_flag(request: HttpRequest) -> bool:
    """Whether a safety answer was saved just before this page (shown once, then gone)."""
    return bool(request.session.pop(SAFETY_SESSION_KEY, False))


def _render_section(
    request: HttpRequest,
    intake: Intake,
    section: Section,
    form: SectionForm,
    *,
    revision: int,
    status: int = 200,
    stale_rows: list[tuple[str, str]] | None = None,
    safety_now: bool = False,
) -> HttpResponse:
    questionnaire = _questionnaire(intake)
    answers = intake.answers
    shown = _visible_sections(questionnaire, answers)
    step = next((n for n, s in enumerate(shown, start=1) if s.id == section.id), len(shown))
    show_crisis = (
        _take_safety_flag(request)
        or safety_now
        or (intake.needs_prompt_review and _is_safety_section(questionnaire, section))
    )
    items = form.items()
    visibility = page_visibility(questionnaire, section)
    errors = form.answer_errors
    summary = [
        (item.anchor, item.question.label, errors[item.name])
        for item in items if item.name in errors
    ]
    context = {
        "intake": intake,
        "questionnaire": questionnaire,
        "section": section,
        "form": form,
        "items": items,
        # Each question with its own visibility badge, where it differs from its page's.
        "items_with_visibility": [
            (item, visibility.badge_for(item.question.id) if visibility else None)
            for item in items
        ],
        "page_visibility": visibility,
        "listed_field": LISTED_FIELD,
        "revision": revision,
        "step": step,
        "step_count": len(shown),
        "previous": _next_visible(questionnaire, answers, section.id, -1),
        "error_summary": summary,
        "unknown_error": errors.get(UNKNOWN_QUESTION, ""),
        "stale_message": gettext(STALE_MESSAGE) if stale_rows is not None else "",
        "stale_rows": stale_rows or [],
        "show_crisis": show_crisis,
        "crisis_hidden": not show_crisis,
        "next_section": _next_visible(questionnaire, answers, section.id, 1),
    }
    return render(request, "intake/client/section.html", context, status=status)


def _home_url(intake: Intake) -> str:
    """The overview an intake belongs to: the client's individual intake, or theirs in a
    couple or family case."""
    if intake.case_id is not None:
        return reverse("intake_case_home", args=[intake.case_id])
    return reverse("intake_home")


def _consents_gate(request: AuthenticatedHttpRequest,
                   case: Case | None = None) -> HttpResponse | None:
    """Send the client to their consents while a document needed before the intake (in
    ``case``, or their individual one) is unsigned (or withdrawn, or changed materially:
    the ``before_intake`` hook, answered by the consents app); None when they may go on.
    Only pages that start or show the questionnaire ask; a page being saved is never
    refused, so nothing typed is lost. Titles only in the message: never anything the
    client typed."""
    blocking = before_intake.ask(request.user, case)
    if not blocking:
        return None
    titles = ", ".join(prerequisite.title for prerequisite in blocking)
    messages.info(request, gettext("Before your intake, please read and sign: %(titles)s.")
                  % {"titles": titles})
    return redirect(blocking[0].url_name)


def _overview(request: AuthenticatedHttpRequest, case: Case | None) -> HttpResponse:
    """The client's own intake overview, in their individual record or in ``case``. GET
    shows it; POST starts (or finds) their draft and goes to where they left off. Only the
    signed-in client's intakes of that record are looked at. While a consent needed before
    the intake is unsigned, both go to the consents first."""
    if (gate := _consents_gate(request, case)) is not None:
        return gate
    own = with_questionnaire(Intake.objects.filter(client=request.user, case=case))
    draft = own.filter(state=IntakeState.DRAFT).first()
    submitted = own.filter(state=IntakeState.SUBMITTED).order_by("-submitted_at").first()
    if request.method == "POST":
        if draft is None and submitted is not None:
            return redirect("intake_submitted", submitted.id)
        try:
            draft = intake_start(client=request.user, case=case)
        except NoIntakeForThisRole:
            raise Http404 from None
        return HttpResponseRedirect(_resume_url(draft))
    if draft is not None:
        record_client_visit(draft)
        questionnaire = _questionnaire(draft)
    elif submitted is not None:
        questionnaire = _questionnaire(submitted)
    elif case is not None:
        try:
            questionnaire = case_questionnaire(request.user, case)
        except NoIntakeForThisRole:
            raise Http404 from None
    else:  # what a new individual draft starts on (parsed once per process and language)
        questionnaire = version_for(IntakeKind.INDIVIDUAL).questionnaire
    context = {
        "questionnaire": questionnaire,
        "case": case,
        "start_url": (reverse("intake_case_home", args=[case.pk]) if case is not None
                      else reverse("intake_home")),
        "page_count": len(_visible_sections(questionnaire, draft.answers if draft else {})),
        "draft": draft,
        "started": draft is not None and (draft.revision > 0 or bool(draft.last_section)),
        "submitted": submitted,
        "pdf_url": _pdf_url(submitted) if submitted else None,
        "show_crisis": _take_safety_flag(request),
    }
    return render(request, "intake/client/home.html", context)


# --- Views ------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("access_client_pages")
def intake_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The client's individual intake (see ``_overview``)."""
    return _overview(request, None)


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("access_client_pages")
def intake_case_home(request: AuthenticatedHttpRequest, case_id: str) -> HttpResponse:
    """The client's own intake in a couple or family case they are in (``own_case_or_404``:
    anyone else gets a 404); see ``_overview``."""
    return _overview(request, own_case_or_404(request.user, case_id))


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("access_client_pages")
def intake_section(
    request: AuthenticatedHttpRequest, intake_id: str, section_id: str
) -> HttpResponse:
    """One page of the client's own draft (404 for anyone else's, or an unknown page).

    POST saves the page (``_save_page``, checked against the page's revision) and moves
    on. A save from an older page is never applied: the page comes back (409) with what is
    saved now in the fields and what this page sent listed beneath.
    """
    if request.method == "POST":
        return _save_page(request, intake_id, section_id)
    intake = get_own_intake(request.user, intake_id)
    questionnaire = _questionnaire(intake)
    section = _section_or_404(questionnaire, section_id)
    if intake.is_submitted:
        return redirect("intake_submitted", intake.id)
    record_client_visit(intake)
    if (gate := _consents_gate(request)) is not None:
        return gate
    if not visible(section, intake.answers):
        later = _next_visible(questionnaire, intake.answers, section.id, 1)
        if later is None:
            return redirect("intake_review", intake.id)
        return HttpResponseRedirect(_section_url(intake, later))
    if _asks_for_details(section):
        intake = intake_fill_details(intake_id=intake.pk, client=request.user)
    form = SectionForm(questionnaire, section, answers=intake.answers)
    return _render_section(request, intake, section, form, revision=intake.revision)


def _save_page(request: AuthenticatedHttpRequest, intake_id: str,
               section_id: str) -> HttpResponse:
    """The POST of ``intake_section``: the draft read once, with its row locked, and saved
    (``save_locked_section``); then the next page, or this one again with what needs a
    change, or (409) with what is saved now when the page was older than the draft.
    Every single value is read before anything is written: one sent twice is refused
    (``portal.input_checks``) with nothing saved."""
    action = request.POST.get("action", "next")
    if action not in ACTIONS:
        action = "next"
    revision = _revision(request)
    with transaction.atomic():
        intake = get_own_intake(request.user, intake_id, for_update=True)
        questionnaire = _questionnaire(intake)
        section = _section_or_404(questionnaire, section_id)
        if intake.is_submitted:
            return redirect("intake_submitted", intake.id)
        posted = posted_answers(section, request.POST)
        try:
            outcome = save_locked_section(intake=intake, client=request.user,
                                          section_id=section.id, posted=posted,
                                          revision=revision)
        except StaleRevision:
            outcome = None  # ``intake`` is the newer draft, as saved now
    if outcome is None:
        form = SectionForm(questionnaire, section, answers=intake.answers)
        return _render_section(request, intake, section, form, revision=intake.revision,
                               status=409, stale_rows=posted_in_words(section, posted))
    intake = outcome.intake
    if outcome.errors:
        form = SectionForm(questionnaire, section, answers=intake.answers, data=request.POST,
                           errors=outcome.errors)
        return _render_section(request, intake, section, form, revision=intake.revision,
                               safety_now=outcome.safety_now)
    if outcome.safety_now:
        request.session[SAFETY_SESSION_KEY] = True
    if action == "later":
        messages.success(request, gettext(SAVED_FOR_LATER))
        return HttpResponseRedirect(_home_url(intake))
    step = -1 if action == "back" else 1
    target = _next_visible(questionnaire, intake.answers, section.id, step)
    if target is not None:
        return HttpResponseRedirect(_section_url(intake, target))
    if action == "back":
        return HttpResponseRedirect(_home_url(intake))
    return redirect("intake_review", intake.id)


@sensitive_post_parameters()
@require_POST
@permission_or_404("access_client_pages")
def intake_autosave(request: AuthenticatedHttpRequest, intake_id: str) -> JsonResponse:
    """Save the fields of one page of the client's own draft in the background.

    Answers JSON: the new revision, per-question messages, whether to show the crisis
    text, and the time. It never sends an answer back. A stale revision is refused (409)
    and not overwritten; the page's own form shows the newer answers when sent.

    Past the ``intake_autosave`` rate limit (``portal.rate_limits``: a script, not a
    person) the save is refused before anything is read or written: 429 with
    ``Retry-After`` and the same number of seconds in the JSON, for the page to try again
    then with what it holds.
    """
    retry_after = rate_limits.retry_after("intake_autosave", user=request.user)
    if retry_after is not None:
        refused = JsonResponse(
            {"message": gettext(AUTOSAVE_PAUSED_MESSAGE), "retry_after": retry_after}, status=429
        )
        refused["Retry-After"] = str(retry_after)
        return refused
    with transaction.atomic():  # the draft read once, locked, and saved
        intake = get_own_intake(request.user, intake_id, for_update=True)
        questionnaire = _questionnaire(intake)
        try:
            section = questionnaire.section(request.POST.get("section", ""))
        except KeyError:
            return JsonResponse({"message": gettext(UNREADABLE_AUTOSAVE_MESSAGE)}, status=400)
        try:
            outcome = save_locked_section(intake=intake, client=request.user,
                                          section_id=section.id,
                                          posted=posted_answers(section, request.POST),
                                          revision=_revision(request))
        except StaleRevision:
            return JsonResponse({"message": gettext(STALE_AUTOSAVE_MESSAGE), "stale": True},
                                status=409)
        except AlreadySubmitted:
            return JsonResponse({"message": gettext(SUBMITTED_AUTOSAVE_MESSAGE),
                                 "submitted": True}, status=409)
    return JsonResponse({
        "revision": outcome.intake.revision,
        "errors": outcome.errors,
        "safety": outcome.safety_now,
        "saved_at": format_clock(outcome.intake.updated_at),
    })


def _missing_rows(intake: Intake) -> list[tuple[str, str]]:
    """Required questions still unanswered: (link to the question, its label)."""
    questionnaire = _questionnaire(intake)
    missing = missing_answers(questionnaire, prune_hidden(questionnaire, intake.answers))
    section_of = {q.id: s for s in questionnaire.sections for q in s.questions}
    anchors: dict[str, str] = {}
    rows = []
    for question_id in missing:
        section = section_of[question_id]
        if question_id not in anchors:
            form = SectionForm(questionnaire, section, answers=intake.answers)
            anchors.update((item.name, item.anchor) for item in form.items())
        anchor = anchors.get(question_id, f"q-{question_id}")
        rows.append((f"{_section_url(intake, section)}#{anchor}",
                     questionnaire.question(question_id).label))
    return rows


@require_safe
@permission_or_404("access_client_pages")
def intake_review(request: AuthenticatedHttpRequest, intake_id: str) -> HttpResponse:
    """Every shown answer of the client's own draft, with links to change them, the
    required answers still missing, and the form that sends it all."""
    intake = get_own_intake(request.user, intake_id)
    if intake.is_submitted:
        return redirect("intake_submitted", intake.id)
    record_client_visit(intake)
    intake = intake_fill_details(intake_id=intake.pk, client=request.user)
    questionnaire = _questionnaire(intake)
    sections = answer_sections(questionnaire, intake.answers, typed_in=intake.language)
    context = {
        "intake": intake,
        "questionnaire": questionnaire,
        "sections": sections,
        "shared_summary": review_summary(questionnaire, sections),
        "missing": _missing_rows(intake),
        "show_crisis": _take_safety_flag(request),
        "last_section": next(iter(reversed(
            _visible_sections(questionnaire, intake.answers))), None),
    }
    return render(request, "intake/client/review.html", context)


@sensitive_post_parameters()
@require_POST
@permission_or_404("access_client_pages")
def intake_submit(request: AuthenticatedHttpRequest, intake_id: str) -> HttpResponse:
    """Send the client's own draft. Missing answers or a stale page go back to the review
    with a plain message; sending twice (a double tap) just shows the sent copy."""
    intake = get_own_intake(request.user, intake_id)
    try:
        submit_intake(intake_id=intake.pk, client=request.user, revision=_revision(request))
    except IncompleteIntake:
        messages.error(request, gettext(INCOMPLETE_MESSAGE))
        return redirect("intake_review", intake.id)
    except StaleRevision:
        messages.warning(request, gettext(STALE_SUBMIT_MESSAGE))
        return redirect("intake_review", intake.id)
    return redirect("intake_submitted", intake.id)


@require_safe
@permission_or_404("access_client_pages")
def intake_submitted(request: AuthenticatedHttpRequest, intake_id: str) -> HttpResponse:
    """The client's own read-only copy of exactly what they sent; a draft goes back to its
    page instead."""
    intake = get_own_intake(request.user, intake_id)
    if not intake.is_submitted:
        return HttpResponseRedirect(_resume_url(intake))
    questionnaire = _questionnaire(intake)
    context = {
        "intake": intake,
        "questionnaire": questionnaire,
        "sections": answer_sections(questionnaire, intake.answers, typed_in=intake.language),
        "pdf_url": _pdf_url(intake),
        "fhir_url": reverse("intake_fhir", args=[intake.id]),
    }
    return render(request, "intake/client/submitted.html", context)

