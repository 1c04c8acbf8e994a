"""The questionnaire builder's last steps, for practice admins: preview a draft (or a
published version) exactly as a client sees it, read what a draft changes, publish it, and
choose which questionnaire each kind of intake starts on.

Every view is ``permission_or_404("manage_questionnaires")`` and finds its draft or
version through ``intake.builder.access`` (anyone else: 404). Nothing is ever saved from a
preview: its fields are disabled and in no form that submits. Publishing cannot be undone,
so it asks for the password again (``reauthentication_required``); a draft with a problem
is never published.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from allauth.account.decorators import reauthentication_required
from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy, pgettext
from django.views.decorators.http import require_http_methods, require_safe

from intake.answers import visible
from intake.builder.access import draft_or_404, version_or_404
from intake.builder.assignments import (
    AUDIENCE_FOR_KIND,
    SHIPPED_FOR_KIND,
    AssignmentError,
    audience_of,
    chosen_slug,
    newest_version,
    newest_versions,
    questionnaire_assign,
    version_for,
)
from intake.builder.diff import QuestionnaireDiff, questionnaire_diff, text_in
from intake.builder.drafts import NoSource, draft_problem, draft_publish, source_of
from intake.definitions import read_source
from intake.forms import SectionForm
from intake.instrument_references import expand_instrument_references
from intake.models import IntakeKind, QuestionnaireDraft, QuestionnaireVersion
from intake.presenters import page_visibility
from intake.question_types import AnswerError, question_type
from intake.schema import INDIVIDUAL, DefinitionError, Question, Questionnaire, parse_definition
from portal.access import permission_or_404
from portal.http import AuthenticatedHttpRequest
from portal.input_checks import SingleValueFieldsMixin

# The value of "answered" for a question with no options, in the preview's choices.
ANSWERED = "__answered__"
# Query parameters of the preview: the language, and one per question conditions look at.
LANGUAGE_PARAMETER = "lang"
ANSWER_PREFIX = "a-"

# The settings of a question or section the diff names, in words.
SETTING_NAMES: dict[str, Any] = {
    "type": gettext_lazy("type of answer"),
    "required": gettext_lazy("required"),
    "sensitive": gettext_lazy("sensitive"),
    "max_length": gettext_lazy("longest answer"),
    "min_value": gettext_lazy("smallest number"),
    "max_value": gettext_lazy("largest number"),
    "not_future": gettext_lazy("no date in the future"),
    "max_items": gettext_lazy("most entries"),
    "questions": gettext_lazy("questions in the group"),
    "visibility": gettext_lazy("who sees the answers"),
    "audience": gettext_lazy("who answers it"),
    "instruments": gettext_lazy("instruments"),
    "safety": gettext_lazy("safety rules"),
    "bind": gettext_lazy("link to the client's details"),
}
LANGUAGE_NAMES = dict(settings.LANGUAGES)


# --- Preview -------------------------------------------------------------------------------


@dataclass
class ConditionChoice:
    """A question that a condition looks at, and the answers the admin may pick for it."""

    name: str
    label: str
    choices: list[tuple[str, str]]
    chosen: str


def _language(request: HttpRequest) -> str:
    """The language the admin picked for the preview (an offered one), else the page's."""
    asked = request.GET.get(LANGUAGE_PARAMETER, "")
    if asked in LANGUAGE_NAMES:
        return asked
    current = translation.get_language() or settings.LANGUAGE_CODE
    return current if current in LANGUAGE_NAMES else settings.LANGUAGE_CODE


def _condition_targets(questionnaire: Questionnaire) -> list[Question]:
    """The questions that some section's or question's condition looks at, in order."""
    wanted = set()
    for section in questionnaire.sections:
        if section.condition is not None:
            wanted.add(section.condition.question)
        for question in section.questions:
            if question.condition is not None:
                wanted.add(question.condition.question)
    return [question for section in questionnaire.sections for question in section.questions
            if question.id in wanted]


def _chosen_answers(questionnaire: Questionnaire,
                    query: Mapping[str, str]) -> tuple[dict[str, Any], list[ConditionChoice]]:
    """The answers the admin chose (only to offered values; anything else is no answer),
    and the choices to offer again."""
    answers: dict[str, Any] = {}
    offered = []
    for question in _condition_targets(questionnaire):
        name = f"{ANSWER_PREFIX}{question.id}"
        raw = str(query.get(name, ""))[:200]
        if question.options:
            choices = [(str(option.value), option.label) for option in question.options]
            if raw in {value for value, _label in choices}:
                # Stored as the client's page would store that one choice (a list for a
                # multiple choice, a number for numbered options): the type decides.
                with contextlib.suppress(AnswerError):
                    answers[question.id] = question_type(question.type).clean_answer(
                        question, raw)
        else:
            choices = [(ANSWERED, gettext("Answered"))]
            if raw == ANSWERED:
                answers[question.id] = "…"
        chosen = raw if question.id in answers else ""
        offered.append(ConditionChoice(name, question.label, choices, chosen))
    return answers, offered


def _preview_sections(request: HttpRequest, questionnaire: Questionnaire,
                      answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Each section a client with ``answers`` would see, with the questions they would see
    on it, as the client's page builds them."""
    shown = []
    for section in questionnaire.sections:
        if not visible(section, answers):
            continue
        form = SectionForm(questionnaire, section, answers=answers)
        visibility = page_visibility(questionnaire, section)
        items = [item for item in form.items() if visible(item.question, answers)]
        shown.append({
            "section": section,
            "page_visibility": visibility,
            "items_with_visibility": [
                (item, visibility.badge_for(item.question.id) if visibility else None)
                for item in items],
        })
    return shown


def _render_preview(request: HttpRequest, *, questionnaire: Questionnaire | None,
                    problem: str | None, title: str, language: str, back: str,
                    draft: QuestionnaireDraft | None = None,
                    version: QuestionnaireVersion | None = None) -> HttpResponse:
    answers, offered = ({}, []) if questionnaire is None else _chosen_answers(
        questionnaire, request.GET)
    frame = ""
    if questionnaire is not None:
        sections = _preview_sections(request, questionnaire, answers)
        # The frame is written in the client's language, as their pages would be.
        with translation.override(language):
            frame = render_to_string("intake/builder/publish_preview_frame.html",
                                     {"questionnaire": questionnaire, "sections": sections,
                                      "language": language}, request=request)
    return render(request, "intake/builder/publish_preview.html", {
        "title": title, "problem": problem, "frame": frame, "draft": draft,
        "version": version, "language": language, "languages": settings.LANGUAGES,
        "offered": offered, "back": back,
    })


@require_safe
@permission_or_404("manage_questionnaires")
def draft_preview(request: AuthenticatedHttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    """The draft as a client would see it, in the language and with the answers the admin
    picks (or the draft's problem, when it has one). Nothing here is saved."""
    draft = draft_or_404(request.user, draft_id)
    language = _language(request)
    problem = draft_problem(draft)
    questionnaire = None
    if problem is None:
        try:
            questionnaire = parse_definition(expand_instrument_references(draft.source),
                                             language)
        except DefinitionError as error:
            problem = str(error)
    return _render_preview(request, questionnaire=questionnaire, problem=problem,
                           title=draft.title, language=language, draft=draft,
                           back=request.path)


@require_safe
@permission_or_404("manage_questionnaires")
def version_preview(request: AuthenticatedHttpRequest, version_id: uuid.UUID) -> HttpResponse:
    """A published version as a client sees it (in the language and with the answers the
    admin picks). Nothing here is saved."""
    version = version_or_404(request.user, version_id)
    language = _language(request)
    return _render_preview(request, questionnaire=version.questionnaire_in(language),
                           problem=None, title=version.title, language=language,
                           version=version, back=request.path)


# --- Diff ----------------------------------------------------------------------------------


def _base_source(draft: QuestionnaireDraft) -> dict[str, Any]:
    if draft.based_on is None:
        return {}
    try:
        return source_of(draft.based_on)
    except NoSource:
        return {}


def _listed(items: Any) -> list[dict[str, Any]]:
    """The objects of a list in a source (a draft may hold anything)."""
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _condition_words(condition: Any, source: Mapping[str, Any]) -> str:
    """A condition in a sentence, naming its question by label."""
    if not isinstance(condition, dict):
        return gettext("Always shown")
    target = str(condition.get("question", ""))
    question: dict[str, Any] = {}
    for section in _listed(source.get("sections")):
        for candidate in _listed(section.get("questions")):
            if candidate.get("id") == target:
                question = candidate
    label = text_in(question.get("label")) or target
    if condition.get("answered"):
        return gettext("Shown only when “%(question)s” is answered") % {"question": label}
    values = condition.get("in") if "in" in condition else [condition.get("equals")]
    values = values if isinstance(values, list) else [values]
    names = {str(o.get("value")): text_in(o.get("label"))
             for o in _listed(question.get("options"))}
    if question.get("type") == "yes_no":
        names = {"yes": pgettext("an answer to a yes-or-no question", "Yes"),
                 "no": pgettext("an answer to a yes-or-no question", "No")}
    words = [names.get(str(value)) or str(value) for value in values]
    return gettext("Shown only when “%(question)s” is: %(answers)s") % {
        "question": label, "answers": ", ".join(words)}


def _diff_context(draft: QuestionnaireDraft) -> dict[str, Any]:
    """What the diff templates need: the diff and its conditions and settings in words."""
    old, new = _base_source(draft), draft.source
    diff: QuestionnaireDiff = questionnaire_diff(old, new)
    conditions: dict[str, tuple[str, str]] = {}
    settings_named: dict[str, list[str]] = {}
    for section in diff.sections:
        for item in (section, *section.questions):
            key = f"{'section' if item is section else 'question'}:{item.id}"
            if item.condition_changed or (item.status == "added" and item.new_condition):
                conditions[key] = (_condition_words(item.old_condition, old),
                                   _condition_words(item.new_condition, new))
            settings_named[key] = [str(SETTING_NAMES.get(name, name))
                                   for name in item.settings]
    page_titles = {str(section.get("id", "")): text_in(section.get("title"))
                   for section in _listed(old.get("sections"))}
    return {"diff": diff, "diff_conditions": conditions, "diff_page_titles": page_titles,
            "diff_settings": settings_named,
            "diff_top_settings": [str(SETTING_NAMES.get(name, name)) for name in diff.settings],
            "language_names": LANGUAGE_NAMES, "based_on": draft.based_on}


@require_safe
@permission_or_404("manage_questionnaires")
def draft_diff(request: AuthenticatedHttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    """What the draft changes compared with the version it is based on, word by word."""
    draft = draft_or_404(request.user, draft_id)
    return render(request, "intake/builder/publish_diff.html",
                  {"draft": draft, **_diff_context(draft)})


# --- Publish -------------------------------------------------------------------------------


def _draft_kinds(draft: QuestionnaireDraft) -> list[str]:
    """The kinds of intake the draft's audience fits."""
    audience = draft.source.get("audience") if isinstance(draft.source, dict) else None
    audience = str(audience or INDIVIDUAL)
    return [kind for kind in SHIPPED_FOR_KIND if AUDIENCE_FOR_KIND[kind] == audience]


class UseForForm(SingleValueFieldsMixin, forms.Form):
    """Which kinds of intake start on the version about to be published."""

    use_for = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                        label=gettext_lazy("Use it for new intakes of:"))

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["use_for"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 (for the type)
        field.choices = [(kind, IntakeKind(kind).label) for kind in kinds]


def _publish_page(request: HttpRequest, draft: QuestionnaireDraft, form: UseForForm,
                  problem: str | None, status: int = 200) -> HttpResponse:
    return render(request, "intake/builder/publish_confirm.html", {
        "draft": draft, "form": form, "problem": problem,
        "number": draft.source.get("version", ""), **_diff_context(draft)}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("manage_questionnaires")
@reauthentication_required
def draft_publish_view(request: AuthenticatedHttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    """Publish a draft: it becomes an immutable, hashed version (audited by the service),
    and the kinds of intake ticked start on it. Cannot be undone, so the password is asked
    again first; the GET shows the confirmation with what changes, the POST publishes. A
    draft with a problem is refused, the problem named, nothing published. Intakes already
    started keep their version."""
    draft = draft_or_404(request.user, draft_id)
    kinds = _draft_kinds(draft)
    if request.method in ("GET", "HEAD"):
        current = {slug for slug in (draft.slug, getattr(draft.based_on, "slug", None)) if slug}
        initial = [kind for kind in kinds if version_for(kind).slug in current]
        form = UseForForm(kinds=kinds, initial={"use_for": initial})
        return _publish_page(request, draft, form, draft_problem(draft))
    form = UseForForm(request.POST, kinds=kinds)
    problem = draft_problem(draft)
    if problem is not None or not form.is_valid():
        return _publish_page(request, draft, form, problem, status=400)
    try:
        version = draft_publish(draft=draft, actor=request.user,
                                use_for=tuple(form.cleaned_data["use_for"]))
    except (DefinitionError, AssignmentError) as refused:
        return _publish_page(request, draft, form, str(refused), status=400)
    messages.success(request, gettext(
        "Version %(number)s of “%(title)s” is published. Clients who already started keep "
        "the version they started on.") % {"number": version.version, "title": version.title})
    return redirect("questionnaire_use")


# --- Choosing ------------------------------------------------------------------------------


def _published_for(kind: str) -> list[QuestionnaireVersion]:
    """The newest version of each published questionnaire whose audience fits ``kind``."""
    return [newest for newest in newest_versions()
            if audience_of(newest) == AUDIENCE_FOR_KIND[kind]]


class ChooseForm(SingleValueFieldsMixin, forms.Form):
    """The questionnaire new intakes of one kind start on."""

    kind = forms.ChoiceField(choices=IntakeKind.choices, widget=forms.HiddenInput)
    slug = forms.ChoiceField(label=gettext_lazy("Questionnaire"))

    def __init__(self, *args: Any, kind: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind is None and self.is_bound:
            kind = str(self.data.get("kind", ""))
        # One form per kind on the page: each its own ids.
        self.auto_id = f"id_%s-{kind if kind in SHIPPED_FOR_KIND else 'other'}"
        field = self.fields["slug"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (for the type)
        if kind in SHIPPED_FOR_KIND:
            field.choices = [(v.slug, gettext("%(title)s (version %(version)s)") % {
                "title": v.title, "version": v.version}) for v in _published_for(kind)]


def _current_stored(kind: str) -> QuestionnaireVersion | None:
    """The version new intakes of ``kind`` start on, if it is stored already (without
    storing the shipped one, as ``version_for`` would)."""
    slug = chosen_slug(kind)
    if slug is not None and (chosen := newest_version(slug)) is not None:
        return chosen
    source = read_source(SHIPPED_FOR_KIND[kind])
    if not isinstance(source, dict):
        return None
    return QuestionnaireVersion.objects.filter(slug=source.get("slug"),
                                               version=source.get("version")).first()


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("manage_questionnaires")
def questionnaire_use(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Per kind of intake, the questionnaire new intakes start on (its newest version), and
    a choice among the published questionnaires written for that kind of person. A choice
    that does not fit is refused with a message; intakes already started keep theirs."""
    status = 200
    posted: ChooseForm | None = None
    if request.method == "POST":
        posted = ChooseForm(request.POST)
        if posted.is_valid():
            kind, slug = posted.cleaned_data["kind"], posted.cleaned_data["slug"]
            try:
                version = questionnaire_assign(kind=kind, slug=slug, actor=request.user)
            except AssignmentError:
                posted.add_error("slug", gettext(
                    "That questionnaire is not written for this kind of intake."))
            else:
                messages.success(request, gettext(
                    "New intakes of this kind start on “%(title)s”, version %(version)s. "
                    "Clients who already started keep the version they started on.") % {
                    "title": version.title, "version": version.version})
                return redirect("questionnaire_use")
        status = 400
    rows = []
    for kind in SHIPPED_FOR_KIND:
        # A refused choice changes nothing, not even by storing a shipped questionnaire
        # the first time it is needed (the page opened without a post does).
        current = version_for(kind) if posted is None else _current_stored(kind)
        slug = current.slug if current is not None else ""
        form = (posted if posted is not None and posted.data.get("kind") == kind
                else ChooseForm(kind=kind, initial={"kind": kind, "slug": slug}))
        rows.append({"kind": IntakeKind(kind), "current": current, "form": form})
    top_error = ""
    if posted is not None and posted.data.get("kind") not in SHIPPED_FOR_KIND:
        top_error = gettext("Choose a kind of intake and a questionnaire from the lists.")
    return render(request, "intake/builder/publish_use.html",
                  {"rows": rows, "refused": posted is not None, "top_error": top_error},
                  status=status)
