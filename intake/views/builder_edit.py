"""The questionnaire builder's editor: the list of questionnaires, and a draft's pages
(its sections and questions, a section's form, a question's form).

Every page takes ``portal.manage_questionnaires`` (practice admins); anyone else gets a 404.
Drafts and versions are found only through ``intake.builder.access``. Every change is a
POST carrying the draft's ``revision``, applied to the draft as it stands by one of
``intake.builder.edits`` and saved through ``draft_save``: a save from a stale page is
refused (nothing is overwritten) and the page is shown again as the draft now is, with what
was typed kept in the form. A draft may be saved with a problem (the parser's first, shown
at the top of the draft page); what could never be right is refused with a message.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from intake.builder import edits
from intake.builder.access import draft_or_404, version_or_404
from intake.builder.assignments import SHIPPED_FOR_KIND, newest_versions, version_for
from intake.builder.drafts import (
    NoSource,
    StaleDraft,
    draft_problem,
    draft_save,
    draft_start,
    practice_slug,
)
from intake.builder.edits import EditError
from intake.models import IntakeKind, QuestionnaireDraft
from intake.question_types import UnknownQuestionType, question_type
from intake.schema_classes import DEFAULT_LANGUAGE, INDIVIDUAL
from portal.access import permission_or_404
from portal.http import AuthenticatedHttpRequest
from portal.input_checks import RepeatedValue

PERMISSION = "manage_questionnaires"
# Where the strict parser says a problem is: "sections[2].questions[3] (some_id): ...".
_WHERE = re.compile(r"^sections\[(\d+)\](?:\.questions\[(\d+)\](?: \(([a-z0-9_]+)\))?)?"
                    r"(?:\.\S*)?(?: \([a-z0-9_]+\))?: (.*)$", re.DOTALL)


def stale_message() -> str:
    return gettext("This draft was changed in another tab or by someone else; here it is "
                   "as it stands now. Your last change was not saved.")


def _default_text(value: Any) -> str:
    return edits.texts_of(value).get(DEFAULT_LANGUAGE, "")


def type_names() -> dict[str, str]:
    """Each question type in words, for the admin."""
    return {
        "short_text": gettext("Short text"),
        "long_text": gettext("Long text"),
        "single_choice": gettext("One choice"),
        "multiple_choice": gettext("Several choices"),
        "yes_no": gettext("Yes or no"),
        "date": gettext("Date"),
        "number": gettext("Number"),
        "group": gettext("Repeating group"),
        "frequency": gettext("Frequency scale"),
    }


def text_names() -> dict[str, str]:
    """Each kind of text in words, for the admin."""
    return {
        "title": gettext("Title"),
        "intro": gettext("Introduction"),
        "content_note": gettext("Content note"),
        "label": gettext("Question"),
        "help": gettext("Help text"),
        "why": gettext("Why we ask"),
    }


def described_problem(source: dict[str, Any], problem: str) -> str:
    """The parser's problem, its place (``sections[2].questions[3]``) said in words:
    Section “Title”, question “Label” (id)."""
    found = _WHERE.match(problem)
    if not found:
        return problem
    section_number, question_number, question_id, message = found.groups()
    sections = source.get("sections") or []
    section = sections[int(section_number)] if int(section_number) < len(sections) else {}
    section = section if isinstance(section, dict) else {}
    words = gettext("Section “%(title)s”") % {
        "title": _default_text(section.get("title")) or section.get("id", "")}
    if question_number is not None:
        # By id when the parser gives one: an instrument block before it in the section is
        # several questions in the parser's numbering, one entry in the source's.
        entries = section.get("questions") or []
        number = int(question_number)
        entry = entries[number] if number < len(entries) else {}
        if question_id:
            try:
                entry = edits.find_question(source, question_id)
            except EditError:
                entry = {"id": question_id}
        entry = entry if isinstance(entry, dict) else {}
        words += gettext(", question “%(label)s” (%(id)s)") % {
            "label": _default_text(entry.get("label")), "id": entry.get("id", "")}
    return f"{words}: {message}"


# --- The list -----------------------------------------------------------------------------


@require_safe
@permission_or_404(PERMISSION)
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    """Each questionnaire with its newest version, where it came from, the kinds of intake
    that start on it, and its open draft."""
    using: dict[str, list[str]] = {}
    for kind in SHIPPED_FOR_KIND:
        using.setdefault(version_for(kind).slug, []).append(str(IntakeKind(kind).label))
    drafts = {draft.slug: draft for draft in QuestionnaireDraft.objects.all()}
    rows = []
    for version in newest_versions():
        rows.append({"version": version, "kinds": using.get(version.slug, []),
                     "draft": drafts.get(practice_slug(version))})
    return render(request, "intake/builder/edit_list.html", {"rows": rows})


@require_POST
@permission_or_404(PERMISSION)
def builder_draft_start(request: AuthenticatedHttpRequest, version_id: uuid.UUID) -> HttpResponse:
    """Start (or open) the practice's draft of the next version of ``version_id``'s
    questionnaire; audited by ``draft_start``."""
    version = version_or_404(request.user, version_id)
    try:
        draft = draft_start(version=version, actor=request.user)
    except NoSource:
        messages.error(request, gettext("This version cannot be edited: its source was not "
                                        "kept."))
        return redirect("questionnaire_list")
    return redirect("builder_draft", draft.id)


# --- The draft page -----------------------------------------------------------------------


def _entry_rows(source: dict[str, Any], entries: list[Any]) -> list[dict[str, Any]]:
    names = type_names()
    rows = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if edits.is_block(entry):
            slug = str(entry["instrument"])
            rows.append({"block": True, "key": f"instrument:{slug}", "slug": slug,
                         "label": edits.instrument_title(slug),
                         "reason": edits.block_reason(slug)})
            continue
        question_id = str(entry.get("id", ""))
        condition = entry.get("condition")
        rows.append({
            "block": False, "key": question_id, "id": question_id,
            "label": _default_text(entry.get("label")),
            "type": names.get(str(entry.get("type")), str(entry.get("type"))),
            "reason": edits.locked_reason(source, question_id),
            "condition": condition.get("question") if isinstance(condition, dict) else None,
            "is_group": entry.get("type") == "group",
            "children": _entry_rows(source, entry.get("questions") or [])
            if entry.get("type") == "group" else [],
        })
    return rows


def _draft_context(draft: QuestionnaireDraft) -> dict[str, Any]:
    source = draft.source
    sections: list[dict[str, Any]] = []
    for section in source.get("sections") or []:
        if not isinstance(section, dict):
            continue
        sections.append({"id": section.get("id"),
                         "title": _default_text(section.get("title")),
                         "entries": _entry_rows(source, section.get("questions") or [])})
    problem = draft_problem(draft)
    groups = [(row["id"], row["label"]) for section in sections for row in section["entries"]
              if not row["block"] and row["is_group"]]
    asked = {row["slug"] for section in sections for row in section["entries"] if row["block"]}
    return {
        "draft": draft, "sections": sections,
        "problem": described_problem(source, problem) if problem else None,
        "types": [(name, type_names()[name]) for name in edits.ADDABLE_TYPES],
        "groups": groups,
        "instruments": [(slug, edits.instrument_title(slug))
                        for slug in edits.shipped_instruments() if slug not in asked],
    }


def _render_draft(request: HttpRequest, draft: QuestionnaireDraft, *, status: int = 200,
                  error: str | None = None, posted: QueryDict | None = None) -> HttpResponse:
    context = _draft_context(draft)
    posted = posted if posted is not None else QueryDict()
    context.update({
        "error": error,
        "new_section_id": _one(posted, "new_id") if _one(posted, "op") == "section_add" else "",
        "new_question_id": (_one(posted, "new_id") if _one(posted, "op") == "question_add"
                            else ""),
        "new_title": _language_rows({}, ("title",), posted)[0]["fields"],
        "new_label": _language_rows({}, ("label",), posted)[0]["fields"],
        "chosen_type": _one(posted, "type"), "chosen_where": _one(posted, "where"),
    })
    return render(request, "intake/builder/edit_draft.html", context, status=status)


@require_safe
@permission_or_404(PERMISSION)
def builder_draft(request: AuthenticatedHttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    """The draft's sections and questions, with buttons to change them, and its first
    problem (what stops it from being published)."""
    return _render_draft(request, draft_or_404(request.user, draft_id))


def _texts(post: QueryDict, prefix: str) -> dict[str, str]:
    return {language: post.get(f"{prefix}-{language}", "") for language in edits.languages()}


def _one(post: QueryDict, name: str) -> str:
    value = post.get(name, "")
    return value if isinstance(value, str) else ""


def _change(post: QueryDict) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The edit a button of the draft page asks for."""
    op = _one(post, "op")
    section, key, direction = _one(post, "section"), _one(post, "key"), _one(post, "direction")
    operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "section_add": lambda s: edits.section_add(
            s, section_id=_one(post, "new_id"), title=_texts(post, "title")),
        "section_move": lambda s: edits.section_move(s, section, direction),
        "section_remove": lambda s: edits.section_remove(s, section),
        "question_add": lambda s: _question_add(s, post),
        "question_move": lambda s: edits.question_move(s, key, direction),
        "question_move_to": lambda s: edits.question_move_to_section(s, key, section),
        "question_remove": lambda s: (
            edits.instrument_remove(s, key.removeprefix("instrument:"))
            if key.startswith("instrument:") else edits.question_remove(s, key)),
        "instrument_insert": lambda s: edits.instrument_insert(
            s, section_id=section, slug=_one(post, "instrument")),
    }
    if op not in operations:
        raise EditError(gettext("That change is not one this page makes."))
    return operations[op]


def _question_add(source: dict[str, Any], post: QueryDict) -> dict[str, Any]:
    where = _one(post, "where")
    kind, _, place = where.partition(":")
    if kind not in ("section", "group") or not place:
        raise EditError(gettext("Choose where the question goes."))
    return edits.question_add(
        source, section_id=place if kind == "section" else "",
        group_id=place if kind == "group" else None,
        question_type_name=_one(post, "type"), question_id=_one(post, "new_id"),
        label=_texts(post, "label"))


# The one field of the editor's forms that takes several values (the condition's answers).
LIST_FIELDS = frozenset({"condition"})


def _refuse_repeated(post: QueryDict) -> None:
    """Every field but a list, sent more than once, refuses the whole post (400), even one
    this change would not read: nothing is guessed."""
    for name, values in post.lists():
        if len(values) > 1 and name not in LIST_FIELDS:
            raise RepeatedValue(f"The field {name!r} was sent more than once.")


def _revision(post: QueryDict) -> int:
    _refuse_repeated(post)
    value = _one(post, "revision")
    if not value.isdigit() or len(value) > 9:
        raise EditError(gettext("This page is out of date: please reload it and try again."))
    return int(value)


@require_POST
@permission_or_404(PERMISSION)
def builder_draft_change(request: AuthenticatedHttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    """One button of the draft page (add, move, remove a section, a question or an
    instrument block), applied to the draft as it stands if the page was not stale."""
    draft = draft_or_404(request.user, draft_id)
    try:
        revision = _revision(request.POST)
        changed = _change(request.POST)(draft.source)
        draft_save(draft=draft, source=changed, revision=revision)
    except StaleDraft:
        draft.refresh_from_db()
        return _render_draft(request, draft, status=409, error=stale_message(),
                             posted=request.POST)
    except EditError as error:
        return _render_draft(request, draft, status=400, error=str(error),
                             posted=request.POST)
    anchor = _one(request.POST, "key") or _one(request.POST, "section")
    url = reverse("builder_draft", args=[draft.id])
    if re.fullmatch(r"[a-z][a-z0-9_]*", anchor):
        url += f"#entry-{anchor}"
    return redirect(url)


# --- A section's form ---------------------------------------------------------------------


def _language_rows(obj: dict[str, Any], keys: tuple[str, ...], post: QueryDict | None,
                   prefix: str = "") -> list[dict[str, Any]]:
    """The per-language fields of each text of ``obj``: what was posted, else what is
    written."""
    names = dict(settings.LANGUAGES)
    rows = []
    for key in keys:
        written = edits.texts_of(obj.get(key, ""))
        fields = []
        for language in edits.languages():
            name = f"{prefix}{key}-{language}"
            value = post.get(name, "") if post is not None else written.get(language, "")
            fields.append({"name": name, "language": language,
                           "language_name": names.get(language, language), "value": value})
        rows.append({"key": key, "fields": fields, "long": key not in edits.REQUIRED_TEXTS,
                     "label": text_names().get(key, key)})
    return rows


def _section_or_404(draft: QuestionnaireDraft, section_id: str) -> dict[str, Any]:
    for section in draft.source.get("sections") or []:
        if isinstance(section, dict) and section.get("id") == section_id:
            return section
    raise Http404


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404(PERMISSION)
def builder_section_edit(request: AuthenticatedHttpRequest, draft_id: uuid.UUID,
                         section_id: str) -> HttpResponse:
    """A section's id, title, introduction and content note in every language, and who
    reads it (shared questionnaires)."""
    draft = draft_or_404(request.user, draft_id)
    section = _section_or_404(draft, section_id)
    error, posted, status = None, None, 200
    if request.method == "POST":
        posted = request.POST
        try:
            revision = _revision(posted)
            changed = _apply_condition(draft.source, section_id,
                                       posted.getlist("condition"), section=True)
            changed = edits.section_update(
                changed, section_id, new_id=_one(posted, "id"),
                texts={key: _texts(posted, key) for key in edits.SECTION_TEXTS},
                visibility=(_one(posted, "visibility") or None) if draft.source.get(
                    "audience", INDIVIDUAL) != INDIVIDUAL else None)
            draft = draft_save(draft=draft, source=changed, revision=revision)
        except StaleDraft:
            draft.refresh_from_db()
            error, status = stale_message(), 409
            section = _section_or_404(draft, section_id)
        except EditError as refused:
            error, status = str(refused), 400
        else:
            messages.success(request, gettext("Section saved."))
            return redirect(reverse("builder_draft", args=[draft.id])
                            + f"#entry-{_one(posted, 'id') or section_id}")
    return render(request, "intake/builder/edit_section.html", {
        "draft": draft, "section": section, "error": error,
        "id_value": posted.get("id", "") if posted is not None else section.get("id"),
        "texts": _language_rows(section, edits.SECTION_TEXTS, posted),
        "shared": draft.source.get("audience", INDIVIDUAL) != INDIVIDUAL,
        "visibility": (posted.get("visibility", "") if posted is not None
                       else section.get("visibility", "")),
        "condition_choices": _condition_choices(draft.source, ""),
        "condition_chosen": (posted.getlist("condition") if posted is not None
                             else _condition_chosen(section.get("condition"))),
    }, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404(PERMISSION)
def builder_draft_texts(request: AuthenticatedHttpRequest, draft_id: uuid.UUID) -> HttpResponse:
    """The questionnaire's own title and introduction, in every language."""
    draft = draft_or_404(request.user, draft_id)
    error, posted, status = None, None, 200
    if request.method == "POST":
        posted = request.POST
        try:
            revision = _revision(posted)
            changed = edits.questionnaire_update(
                draft.source,
                texts={key: _texts(posted, key) for key in edits.QUESTIONNAIRE_TEXTS})
            draft = draft_save(draft=draft, source=changed, revision=revision)
        except StaleDraft:
            draft.refresh_from_db()
            error, status = stale_message(), 409
        except EditError as refused:
            error, status = str(refused), 400
        else:
            messages.success(request, gettext("Title and introduction saved."))
            return redirect("builder_draft", draft.id)
    return render(request, "intake/builder/edit_texts.html", {
        "draft": draft, "error": error,
        "texts": _language_rows(draft.source, edits.QUESTIONNAIRE_TEXTS, posted),
    }, status=status)


# --- A question's form --------------------------------------------------------------------


def _whole(post: QueryDict, name: str) -> int:
    value = _one(post, name).strip()
    if not re.fullmatch(r"-?\d{1,9}", value):
        raise EditError(gettext("Give a whole number."))
    return int(value)


def _question_settings(question: dict[str, Any], post: QueryDict,
                       shared: bool, top_level: bool) -> dict[str, Any]:
    kind = question_type(question.get("type"))
    values: dict[str, Any] = {"required": post.get("required") == "on",
                              "sensitive": post.get("sensitive") == "on"}
    if kind.may_be_not_future:
        values["not_future"] = post.get("not_future") == "on"
    if kind.default_max_length is not None:
        values["max_length"] = _whole(post, "max_length")
    if kind.has_range:
        values["min_value"], values["max_value"] = (_whole(post, "min_value"),
                                                    _whole(post, "max_value"))
    if kind.holds_questions:
        values["max_items"] = _whole(post, "max_items")
    if shared and top_level:
        values["visibility"] = _one(post, "visibility")
    return values


def _condition_choices(source: dict[str, Any], question_id: str) -> list[tuple[str, str]]:
    """Every "show when" a question's condition can say: each other top-level question
    answered, or answered a given value (``id|answered``, ``id|=value``)."""
    choices = []
    for section in source.get("sections") or []:
        for entry in (section.get("questions") or []) if isinstance(section, dict) else []:
            if not isinstance(entry, dict) or edits.is_block(entry):
                continue
            other = str(entry.get("id"))
            if other == question_id:
                continue
            label = _default_text(entry.get("label"))
            choices.append((f"{other}|answered",
                            gettext("“%(label)s” (%(id)s) is answered")
                            % {"label": label, "id": other}))
            for value in edits.answer_values(source, other) or []:
                choices.append((f"{other}|={value}",
                                gettext("“%(label)s” (%(id)s) is “%(value)s”")
                                % {"label": label, "id": other, "value": value}))
    return choices


def _condition_chosen(condition: Any) -> list[str]:
    if not isinstance(condition, dict):
        return []
    target = condition.get("question")
    if condition.get("answered"):
        return [f"{target}|answered"]
    values = condition.get("in") if "in" in condition else [condition.get("equals")]
    return [f"{target}|={value}" for value in values or []]


def _apply_condition(source: dict[str, Any], question_id: str, chosen: list[str], *,
                     section: bool = False) -> dict[str, Any]:
    """The condition chosen in the form (``_condition_choices`` values) set on a question,
    or a section when ``section``; nothing changes when it is as it was."""
    target_of = (lambda s: _section_of(s, question_id)) if section else (
        lambda s: edits.find_question(s, question_id))
    current = _condition_chosen(target_of(source).get("condition"))
    if sorted(chosen) == sorted(current):
        return source
    if not chosen:
        return (edits.section_condition_clear if section else edits.condition_clear)(
            source, question_id)
    setter = edits.section_condition_set if section else edits.condition_set
    targets = {choice.partition("|")[0] for choice in chosen}
    if len(targets) != 1:
        raise EditError(gettext("A condition depends on one question: choose answers of one "
                                "question only."))
    (target,) = targets
    rest = [choice.partition("|")[2] for choice in chosen]
    if "answered" in rest:
        if len(rest) > 1:
            raise EditError(gettext("Choose “is answered” or some answers, not both."))
        return setter(source, question_id, on=target, kind="answered")
    if not all(value.startswith("=") for value in rest):
        raise EditError(gettext("Choose when the question is shown."))
    return setter(source, question_id, on=target, kind="in",
                  values=[value[1:] for value in rest])


def _section_of(source: dict[str, Any], section_id: str) -> dict[str, Any]:
    for section in source.get("sections") or []:
        if isinstance(section, dict) and section.get("id") == section_id:
            return section
    raise EditError(gettext("There is no section “%(id)s” in this draft.") % {"id": section_id})


def _question_update(source: dict[str, Any], question_id: str, post: QueryDict) -> dict[str, Any]:
    question = edits.find_question(source, question_id)
    locked = edits.locked_reason(source, question_id)
    top_level = question_id in {str(entry.get("id")) for section in source["sections"]
                                if isinstance(section, dict)
                                for entry in section.get("questions") or []
                                if isinstance(entry, dict)}
    shared = source.get("audience", INDIVIDUAL) != INDIVIDUAL
    texts = {key: _texts(post, key) for key in edits.QUESTION_TEXTS}
    if locked:
        changed = edits.question_update(source, question_id, texts=texts)
    else:
        new_id = _one(post, "id") or question_id
        changed = edits.question_update(
            source, question_id, new_id=new_id, texts=texts,
            settings_=_question_settings(question, post, shared, top_level))
        question_id = new_id
    for index, option in enumerate(question.get("options") or []):
        if isinstance(option, dict):
            changed = edits.option_update(changed, question_id, option.get("value"),
                                          label=_texts(post, f"option-{index}-label"))
    new_value = _one(post, "new_option_value").strip()
    new_label = _texts(post, "new_option-label")
    if new_value or any(text.strip() for text in new_label.values()):
        changed = edits.option_add(changed, question_id, value=new_value, label=new_label)
    if not locked and top_level:
        changed = _apply_condition(changed, question_id, post.getlist("condition"))
    return changed


def _question_or_404(draft: QuestionnaireDraft, question_id: str) -> dict[str, Any]:
    try:
        return edits.find_question(draft.source, question_id)
    except EditError:
        raise Http404 from None


def _option_op(source: dict[str, Any], question_id: str, post: QueryDict) -> dict[str, Any]:
    op, value = _one(post, "option_op"), _one(post, "option")
    if op == "remove":
        return edits.option_remove(source, question_id, value)
    return edits.option_move(source, question_id, value, op)


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404(PERMISSION)
def builder_question_edit(request: AuthenticatedHttpRequest, draft_id: uuid.UUID,
                          question_id: str) -> HttpResponse:
    """A question's words in every language, its settings (by type), its options and its
    condition; a locked question's words only."""
    draft = draft_or_404(request.user, draft_id)
    question = _question_or_404(draft, question_id)
    error, posted, status = None, None, 200
    if request.method == "POST":
        posted = request.POST
        option_button = bool(_one(posted, "option_op"))
        try:
            revision = _revision(posted)
            changed = (_option_op(draft.source, question_id, posted) if option_button
                       else _question_update(draft.source, question_id, posted))
            draft = draft_save(draft=draft, source=changed, revision=revision)
        except StaleDraft:
            draft.refresh_from_db()
            error, status = stale_message(), 409
            question = _question_or_404(draft, question_id)
        except EditError as refused:
            error, status = str(refused), 400
        else:
            if option_button:
                return redirect(reverse("builder_question_edit", args=[draft.id, question_id])
                                + "#options")
            messages.success(request, gettext("Question saved."))
            new_id = _one(posted, "id") or question_id
            return redirect(reverse("builder_draft", args=[draft.id]) + f"#entry-{new_id}")
        if option_button:
            posted = None  # the option buttons post no words: show the draft's
    return render(request, "intake/builder/edit_question.html",
                  _question_context(draft, question, posted, error), status=status)


def _question_context(draft: QuestionnaireDraft, question: dict[str, Any],
                      posted: QueryDict | None, error: str | None) -> dict[str, Any]:
    source = draft.source
    question_id = str(question.get("id"))
    try:
        kind = question_type(question.get("type"))
    except UnknownQuestionType:
        kind = None
    options = [option for option in question.get("options") or [] if isinstance(option, dict)]
    chosen = (posted.getlist("condition") if posted is not None
              else _condition_chosen(question.get("condition")))
    top_level = any(isinstance(entry, dict) and entry.get("id") == question_id
                    for section in source.get("sections") or [] if isinstance(section, dict)
                    for entry in section.get("questions") or [])

    def value(name: str, default: Any) -> Any:
        return posted.get(name, "") if posted is not None else default

    def ticked(name: str) -> bool:
        return (posted.get(name) == "on") if posted is not None else bool(question.get(name))

    return {
        "draft": draft, "question": question, "question_id": question_id, "error": error,
        "type_name": type_names().get(str(question.get("type")), question.get("type")),
        "locked": edits.locked_reason(source, question_id),
        "id_value": value("id", question_id),
        "texts": _language_rows(question, edits.QUESTION_TEXTS, posted),
        "required": ticked("required"), "sensitive": ticked("sensitive"),
        "not_future": ticked("not_future"),
        "has_length": kind is not None and kind.default_max_length is not None,
        "max_length": value("max_length", question.get("max_length",
                            kind.default_max_length if kind else "")),
        "has_range": kind is not None and kind.has_range,
        "min_value": value("min_value", question.get("min_value", "")),
        "max_value": value("max_value", question.get("max_value", "")),
        "may_be_not_future": kind is not None and kind.may_be_not_future,
        "is_group": kind is not None and kind.holds_questions,
        "max_items": value("max_items", question.get("max_items", "")),
        "shared": source.get("audience", INDIVIDUAL) != INDIVIDUAL and top_level,
        "visibility": value("visibility", question.get("visibility", "")),
        "edits_options": kind is not None and kind.takes_options and not kind.fixed_options,
        "options": [{"value": option.get("value"), "index": index,
                     "texts": _language_rows(option, ("label",), posted,
                                             prefix=f"option-{index}-")[0]["fields"]}
                    for index, option in enumerate(options)],
        "new_option_value": value("new_option_value", ""),
        "new_option": _language_rows({}, ("label",), posted, prefix="new_option-")[0]["fields"],
        "top_level": top_level,
        "condition_choices": _condition_choices(source, question_id) if top_level else [],
        "condition_chosen": chosen,
    }
