"""The client's check-in pages: their check-ins (open, sent, missed) with the reminder
switch, one page per instrument (the intake's calm layout and autosave), a review, and a
thank-you.

Clients only (``access_client_pages``; everyone else a 404), each check-in fetched through
``get_own_check_in`` and each schedule through ``get_own_schedule``, so another client's is a
404 too. Nothing a client chose goes into a URL, a log line or a flash message; POST data is
hidden from error reports. A PHQ-9 item 9 answer above "Not at all" shows the practice's
crisis text on the page at once (autosave reveals it; a page post shows it on the next page)
and raises a safety alert to the care team (``measures.check_ins``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from intake.api import InstrumentDefinition, Question, current_instrument, question_type
from measures.access import get_own_check_in, get_own_schedule
from measures.check_ins import (
    DECLINE_REFUSED,
    CheckInClosed,
    DeclineRefused,
    IncompleteCheckIn,
    StaleCheckIn,
    check_in_complete,
    check_in_save_page,
    missing_instruments,
)
from measures.instruments import language_to_mark
from measures.models import CheckIn, CheckInSchedule, CheckInState
from measures.schedules import reminders_pause, reminders_resume
from portal import rate_limits
from portal.access import permission_or_404
from portal.formatting import format_clock
from portal.http import AuthenticatedHttpRequest
from portal.input_checks import REPEATED_FIELD_MESSAGE
from portal.models import PracticeSettings

# Session flag: a safety answer was just saved, so the next page shows the crisis text.
# Server-side (sessions live in the database), never a cookie message.
SAFETY_SESSION_KEY = "check_in_show_crisis_support"
STALE_MESSAGE = _("You changed this check-in in another window or device. Here is what "
                  "is saved now; please check this page and save it again.")
STALE_AUTOSAVE_MESSAGE = _("You changed this check-in in another window or device, so this "
                           "page was not saved. Reload the page to see what is saved now.")
CLOSED_MESSAGE = _("This check-in is closed, so nothing more can be saved on it.")
AUTOSAVE_PAUSED_MESSAGE = _("Nothing is lost: your answers stay on this page, and they will "
                            "be saved in a moment.")


def _revision(request: HttpRequest) -> int:
    """The revision the page was built from; a missing or malformed one never matches."""
    try:
        return int(request.POST.get("revision", ""))
    except ValueError:
        return -1


def _repeated(request: HttpRequest) -> bool:
    """Some field of the page arrived more than once (every field of a check-in page takes
    one value): the whole post is refused, nothing saved, rather than one of them guessed
    (``portal.input_checks``)."""
    return any(len(values) > 1 for _name, values in request.POST.lists())


def _take_safety_flag(request: HttpRequest) -> bool:
    return bool(request.session.pop(SAFETY_SESSION_KEY, False))


def _is_open(check_in: CheckIn) -> bool:
    return check_in.state == CheckInState.OPEN and check_in.expires_at > timezone.now()


def _next_page(check_in: CheckIn, after: str | None) -> HttpResponse:
    """The instrument page after ``after`` (the first, when None), else the review."""
    slugs = list(check_in.instruments)
    index = 0 if after is None else slugs.index(after) + 1
    if index < len(slugs):
        return redirect("measures_check_in_page", check_in_id=check_in.pk,
                        instrument=slugs[index])
    return redirect("measures_check_in_review", check_in_id=check_in.pk)


@dataclass(frozen=True)
class ChoiceRow:
    value: str
    label: str
    checked: bool
    dom_id: str
    lang: str = ""  # the label's language, where it is not the page's


@dataclass(frozen=True)
class QuestionRow:
    id: str
    label: str
    required: bool
    choices: list[ChoiceRow]
    error: str
    lang: str = ""  # the label's language, where it is not the page's


def _question_rows(slug: str, saved: dict[str, Any], errors: dict[str, str]
                   ) -> list[QuestionRow]:
    definition = current_instrument(slug)
    rows = []
    for question in definition.questions:
        value = saved.get(question.id)
        rows.append(QuestionRow(
            id=question.id, label=question.label, required=question.required,
            choices=[ChoiceRow(str(option.value), option.label,
                               value is not None and str(value) == str(option.value),
                               f"{question.id}-{number}",
                               language_to_mark(option.language_of("label"), definition))
                     for number, option in enumerate(question.options)],
            error=errors.get(question.id, ""),
            lang=language_to_mark(question.label_language, definition),
        ))
    return rows


def _render_page(request: HttpRequest, check_in: CheckIn, slug: str, *,
                 errors: dict[str, str] | None = None, notice: str = "",
                 safety_now: bool = False, status: int = 200) -> HttpResponse:
    definition = current_instrument(slug)
    slugs = list(check_in.instruments)
    step = slugs.index(slug) + 1
    answers = check_in.answers.get(slug, {})
    show_crisis = (_take_safety_flag(request) or safety_now
                   or (definition.needs_prompt_review(answers)))
    practice = PracticeSettings.load()
    context = {
        "check_in": check_in,
        "instrument": definition,
        # No official translation into the reader's language: asked in English, and the
        # page says why (the intake's note).
        "untranslated": not definition.is_written_in(definition.language),
        "prompt_lang": language_to_mark(definition.language_of("prompt"), definition),
        "attribution_lang": language_to_mark(definition.language_of("attribution"), definition),
        "questions": _question_rows(slug, answers, errors or {}),
        "declined": slug in check_in.declined,
        "may_decline": not practice.check_in_answers_required,
        "step": step,
        "step_count": len(slugs) + 1,  # the review is the last step
        "previous": slugs[step - 2] if step > 1 else None,
        "notice": notice,
        "errors": errors or {},
        "show_crisis": show_crisis,
        "crisis_hidden": not show_crisis,
    }
    return render(request, "measures/client/check_in_page.html", context, status=status)


# --- Views ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRow:
    schedule: CheckInSchedule
    paused: bool


@require_safe
@permission_or_404("access_client_pages")
def check_in_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The client's own check-ins: those waiting, then those sent and missed, newest first;
    and, for each active schedule, its reminders' switch. Plaintext columns only."""
    own = CheckIn.objects.filter(client=request.user).defer("answers", "declined")
    waiting = [c for c in own.filter(state=CheckInState.OPEN).order_by("due_at")
               if c.expires_at > timezone.now()]
    past = list(own.exclude(pk__in=[c.pk for c in waiting]).order_by("-due_at")[:50])
    schedules = CheckInSchedule.objects.filter(client=request.user, active=True)
    context = {
        "waiting": waiting,
        "past": past,
        "schedules": [ScheduleRow(s, s.paused_at is not None) for s in schedules],
        "show_crisis": _take_safety_flag(request),
    }
    return render(request, "measures/client/check_ins.html", context)


@require_POST
@permission_or_404("access_client_pages")
def check_in_reminders(request: AuthenticatedHttpRequest, schedule_id: str) -> HttpResponse:
    """Pause (``action=pause``) or resume (``action=resume``) the reminder emails of the
    client's own schedule; anything else changes nothing."""
    schedule = get_own_schedule(request.user, schedule_id)
    action = request.POST.get("action")
    if action == "pause":
        reminders_pause(schedule=schedule, by_client=request.user)
        messages.success(request, gettext("Reminders are paused. Your check-ins still appear "
                                          "here."))
    elif action == "resume":
        reminders_resume(schedule=schedule, by_client=request.user)
        messages.success(request, gettext("Reminders are on again."))
    else:
        messages.info(request, gettext("Nothing was changed."))
    return redirect("measures_check_ins")


@require_safe
@permission_or_404("access_client_pages")
def check_in_start(request: AuthenticatedHttpRequest, check_in_id: str) -> HttpResponse:
    """Where a reminder's link lands: the first instrument not yet answered or declined,
    else the review; a sent check-in's thank-you; a closed one's list."""
    check_in = get_own_check_in(request.user, check_in_id)
    if not _is_open(check_in):
        return _closed(request, check_in)
    missing = missing_instruments(check_in)
    if missing:
        return redirect("measures_check_in_page", check_in_id=check_in.pk,
                        instrument=missing[0])
    return redirect("measures_check_in_review", check_in_id=check_in.pk)


def _closed(request: HttpRequest, check_in: CheckIn) -> HttpResponse:
    if check_in.state == CheckInState.COMPLETED:
        return redirect("measures_check_in_thanks", check_in_id=check_in.pk)
    messages.info(request, gettext("This check-in has closed. There is nothing to do for it "
                                   "now."))
    return redirect("measures_check_ins")


def _own_instrument(check_in: CheckIn, instrument: str) -> str:
    if instrument not in check_in.instruments:
        raise Http404
    return instrument


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("access_client_pages")
def check_in_page(request: AuthenticatedHttpRequest, check_in_id: str,
                  instrument: str) -> HttpResponse:
    """One instrument of the client's own check-in. POST saves it (``action`` "next",
    "back", or "decline" for "I'd rather not answer today") and goes on; a refused answer
    comes back on the page (400); a stale page is refused (409) with what is saved now."""
    check_in = get_own_check_in(request.user, check_in_id)
    slug = _own_instrument(check_in, instrument)
    if not _is_open(check_in):
        return _closed(request, check_in)
    if request.method != "POST":
        return _render_page(request, check_in, slug)
    if _repeated(request):
        return _render_page(request, check_in, slug, notice=gettext(REPEATED_FIELD_MESSAGE),
                            status=400)
    action = request.POST.get("action", "next")
    try:
        outcome = check_in_save_page(check_in_id=check_in.pk, client=request.user,
                                     instrument=slug, posted=request.POST,
                                     declined=action == "decline",
                                     revision=_revision(request))
    except StaleCheckIn:
        check_in.refresh_from_db()
        return _render_page(request, check_in, slug, notice=str(STALE_MESSAGE), status=409)
    except DeclineRefused:
        return _render_page(request, check_in, slug, notice=str(DECLINE_REFUSED), status=400)
    except CheckInClosed:
        check_in.refresh_from_db()
        return _closed(request, check_in)
    if outcome.safety_now:
        request.session[SAFETY_SESSION_KEY] = True
    if outcome.errors:
        request.session.pop(SAFETY_SESSION_KEY, None)
        return _render_page(request, outcome.check_in, slug, errors=outcome.errors,
                            safety_now=outcome.safety_now, status=400)
    check_in = outcome.check_in
    if action == "back":
        index = check_in.instruments.index(slug)
        if index > 0:
            return redirect("measures_check_in_page", check_in_id=check_in.pk,
                            instrument=check_in.instruments[index - 1])
        return redirect("measures_check_ins")
    if action != "decline":
        unanswered = [row.id for row in _question_rows(slug, check_in.answers.get(slug, {}),
                                                       {})
                      if row.required and not any(c.checked for c in row.choices)]
        if unanswered:
            errors = dict.fromkeys(unanswered, gettext("Please choose an answer, or tell us "
                                                       "you'd rather not answer today."))
            return _render_page(request, check_in, slug, errors=errors,
                                safety_now=outcome.safety_now, status=400)
    return _next_page(check_in, slug)


@sensitive_post_parameters()
@require_POST
@permission_or_404("access_client_pages")
def check_in_autosave(request: AuthenticatedHttpRequest, check_in_id: str) -> JsonResponse:
    """Save one instrument's page in the background (the intake's ``autosave.js``): the new
    revision, per-question messages, whether to show the crisis text, the time. Never an
    answer. Stale (409) and closed (409) are refused; past the ``intake_autosave`` rate
    limit, 429 before anything is read."""
    retry_after = rate_limits.retry_after("intake_autosave", user=request.user)
    if retry_after is not None:
        refused = JsonResponse({"message": str(AUTOSAVE_PAUSED_MESSAGE),
                                "retry_after": retry_after}, status=429)
        refused["Retry-After"] = str(retry_after)
        return refused
    check_in = get_own_check_in(request.user, check_in_id)
    if _repeated(request):
        return JsonResponse({"message": gettext(REPEATED_FIELD_MESSAGE)}, status=400)
    slug = request.POST.get("instrument", "")
    if slug not in check_in.instruments:
        return JsonResponse({"message": gettext("This page could not be saved.")}, status=400)
    try:
        outcome = check_in_save_page(check_in_id=check_in.pk, client=request.user,
                                     instrument=slug, posted=request.POST, declined=False,
                                     revision=_revision(request))
    except StaleCheckIn:
        return JsonResponse({"message": str(STALE_AUTOSAVE_MESSAGE), "stale": True},
                            status=409)
    except CheckInClosed:
        return JsonResponse({"message": str(CLOSED_MESSAGE), "closed": True}, status=409)
    return JsonResponse({
        "revision": outcome.check_in.revision,
        "errors": outcome.errors,
        "safety": outcome.safety_now,
        "saved_at": format_clock(timezone.now()),
    })


@dataclass(frozen=True)
class AnswerRow:
    question: str
    answer: str  # in words: the option's label, or "Not answered" in the page's language
    question_lang: str = ""  # each one's language, where it is not the page's
    answer_lang: str = ""


@dataclass(frozen=True)
class ReviewRow:
    slug: str
    title: str
    declined: bool
    answers: list[AnswerRow]


def _answer_row(question: Question, value: Any, definition: InstrumentDefinition) -> AnswerRow:
    """One question and its answer in words, each marked with its language where it is
    not the reader's."""
    words = question_type(question.type).display(question, value)
    chosen = next((option for option in question.options
                   if str(option.value) == str(value)), None)
    return AnswerRow(
        question.label, words or gettext("Not answered"),
        language_to_mark(question.label_language, definition),
        language_to_mark(chosen.language_of("label"), definition) if words and chosen else "",
    )


def _review_rows(check_in: CheckIn) -> list[ReviewRow]:
    rows = []
    answers = check_in.answers
    for slug in check_in.instruments:
        definition = current_instrument(slug)
        saved = answers.get(slug, {})
        rows.append(ReviewRow(
            slug, definition.title, slug in check_in.declined,
            [_answer_row(q, saved.get(q.id), definition) for q in definition.questions],
        ))
    return rows


@require_safe
@permission_or_404("access_client_pages")
def check_in_review(request: AuthenticatedHttpRequest, check_in_id: str) -> HttpResponse:
    """The client's answers on one page, with links to change them and the button that
    sends the check-in."""
    check_in = get_own_check_in(request.user, check_in_id)
    if not _is_open(check_in):
        return _closed(request, check_in)
    context = {
        "check_in": check_in,
        "rows": _review_rows(check_in),
        "missing": missing_instruments(check_in),
        "step_count": len(check_in.instruments) + 1,
        "show_crisis": _take_safety_flag(request),
    }
    return render(request, "measures/client/check_in_review.html", context)


@require_POST
@permission_or_404("access_client_pages")
def check_in_send(request: AuthenticatedHttpRequest, check_in_id: str) -> HttpResponse:
    """Send the client's own check-in (``check_in_complete``). A stale review (another
    tab) or an unfinished instrument goes back to the review with a message; a second
    press finds it sent and shows the thank-you."""
    check_in = get_own_check_in(request.user, check_in_id)
    try:
        check_in_complete(check_in_id=check_in.pk, client=request.user,
                          revision=_revision(request))
    except CheckInClosed:
        check_in.refresh_from_db()
        return _closed(request, check_in)
    except StaleCheckIn:
        messages.warning(request, gettext("Your answers changed in another window or device. "
                                          "Please check them below, then send them again."))
        return redirect("measures_check_in_review", check_in_id=check_in.pk)
    except IncompleteCheckIn:
        messages.warning(request, gettext("A few questions still need an answer (or tell us "
                                          "you'd rather not answer today) before you can send "
                                          "this."))
        return redirect("measures_check_in_review", check_in_id=check_in.pk)
    return redirect("measures_check_in_thanks", check_in_id=check_in.pk)


@require_safe
@permission_or_404("access_client_pages")
def check_in_thanks(request: AuthenticatedHttpRequest, check_in_id: str) -> HttpResponse:
    """Thank you, once the check-in is sent (its crisis text, if a safety answer was
    just given); an unsent one goes back to its pages."""
    check_in = get_own_check_in(request.user, check_in_id)
    if check_in.state != CheckInState.COMPLETED:
        return redirect("measures_check_in", check_in_id=check_in.pk)
    return render(request, "measures/client/check_in_thanks.html",
                  {"check_in": check_in, "show_crisis": _take_safety_flag(request)})
