"""The draft editor's operations: each takes a draft's source (as written: instrument
blocks as references) and returns a changed copy, never changing what it was given, or
refuses with ``EditError`` saying why in words for the admin.

An edit may leave a draft that cannot be published yet (a condition on a later question, a
choice with fewer than two options): the strict parser names that (``draft_problem``) and
the page shows it. What an edit refuses is what could never be right, or would change the
meaning of a locked question:

- an instrument block (``{"instrument": slug}`` in a section and ``{"ref": slug}`` in
  ``instruments``) is one unit: inserted, moved and removed whole, never edited item by item;
- a question bound to the client's details (``PROFILE_FIELDS``: its answer fills in their
  record) and a safety question (named by the source's ``safety`` rules: its answer alerts
  the practice) can't be removed nor change id, type, options or condition; only their
  words, in each language, may change.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from intake.instrument_sources import UnknownInstrument, shipped_instrument
from intake.question_types import UnknownQuestionType, question_type
from intake.schema_classes import DEFAULT_LANGUAGE, IDENTIFIER, INDIVIDUAL, VISIBILITIES
from portal.services.profiles import PROFILE_FIELDS
from portal.text import CONTROL_CHARACTERS

Source = dict[str, Any]

# The types an admin adds (``frequency`` is the PHQ-9's and GAD-7's scale: it comes with
# an instrument block).
ADDABLE_TYPES = ("short_text", "long_text", "single_choice", "multiple_choice", "yes_no",
                 "date", "number", "group")
# Each type's keys beyond the texts, as a new question starts.
_NEW_QUESTION: dict[str, dict[str, Any]] = {
    "short_text": {"max_length": 200},
    "long_text": {"max_length": 2000},
    "single_choice": {"options": []},
    "multiple_choice": {"options": []},
    "yes_no": {},
    "date": {},
    "number": {"min_value": 0, "max_value": 100},
    "group": {"max_items": 5, "questions": []},
}
# The texts of each kind of object, and which of them must be written.
QUESTIONNAIRE_TEXTS = ("title", "intro")
SECTION_TEXTS = ("title", "intro", "content_note")
QUESTION_TEXTS = ("label", "help", "why")
REQUIRED_TEXTS = frozenset({"title", "label"})
MAX_TEXT = 5000  # characters of one text in one language
MAX_SHORT_TEXT = 500  # a title, a label, an option
MAX_OPTIONS = 60
MAX_SECTIONS = 60
MAX_QUESTIONS = 200  # in one section
UP, DOWN = "up", "down"


class EditError(ValueError):
    """The edit is not allowed; the message says why, for the admin."""


def languages() -> list[str]:
    """The languages the practice writes its questionnaires in, the default first."""
    codes = [DEFAULT_LANGUAGE, *(code.lower() for code, _ in settings.LANGUAGES)]
    return list(dict.fromkeys(codes))


# --- Finding things ---------------------------------------------------------------------


def _copy(source: Mapping[str, Any]) -> Source:
    if not isinstance(source, Mapping) or not isinstance(source.get("sections"), list):
        raise EditError(gettext("This draft cannot be read as a questionnaire."))
    return copy.deepcopy(dict(source))


def _sections(source: Source) -> list[dict[str, Any]]:
    return [section for section in source["sections"] if isinstance(section, dict)]


def _section_index(source: Source, section_id: str) -> int:
    for index, section in enumerate(source["sections"]):
        if isinstance(section, dict) and section.get("id") == section_id:
            return index
    raise EditError(gettext("There is no section “%(id)s” in this draft.") % {"id": section_id})


def _questions_of(section: dict[str, Any]) -> list[Any]:
    questions = section.get("questions")
    if not isinstance(questions, list):
        questions = section["questions"] = []
    return questions


def is_block(entry: Any) -> bool:
    """Whether a section's entry is an instrument block (a reference, not a question)."""
    return isinstance(entry, dict) and "instrument" in entry


def _find(source: Source, question_id: str) -> tuple[list[Any], int]:
    """The list holding the question ``question_id`` (a section's or a group's) and its
    place in it."""
    for section in _sections(source):
        questions = _questions_of(section)
        for index, entry in enumerate(questions):
            if not isinstance(entry, dict) or is_block(entry):
                continue
            if entry.get("id") == question_id:
                return questions, index
            children = entry.get("questions")
            if isinstance(children, list):
                for number, child in enumerate(children):
                    if isinstance(child, dict) and child.get("id") == question_id:
                        return children, number
    raise EditError(gettext("There is no question “%(id)s” in this draft.")
                    % {"id": question_id})


def find_question(source: Mapping[str, Any], question_id: str) -> dict[str, Any]:
    """The question ``question_id`` as written (a copy); ``EditError`` when there is none."""
    holder, index = _find(_copy(source), question_id)
    return dict(holder[index])


def _is_top_level(source: Source, question_id: str) -> bool:
    return any(isinstance(entry, dict) and entry.get("id") == question_id
               for section in _sections(source) for entry in _questions_of(section))


def every_id(source: Mapping[str, Any]) -> set[str]:
    """Every question id written in the draft and in its instrument blocks, and every
    section id (an id is used once in a questionnaire)."""
    ids: set[str] = set()
    for section in source.get("sections") or []:
        if not isinstance(section, dict):
            continue
        ids.add(str(section.get("id")))
        for entry in section.get("questions") or []:
            if is_block(entry):
                ids.update(_block_item_ids(entry["instrument"]))
            elif isinstance(entry, dict):
                ids.add(str(entry.get("id")))
                for child in entry.get("questions") or []:
                    if isinstance(child, dict):
                        ids.add(str(child.get("id")))
    return ids


def _block_item_ids(slug: Any) -> list[str]:
    try:
        instrument = shipped_instrument(slug)
    except UnknownInstrument:
        return []
    source = instrument.source
    return [str(question.get("id")) for key in ("items", "extras")
            for question in source.get(key) or [] if isinstance(question, dict)]


# --- Locks --------------------------------------------------------------------------------


def safety_question_ids(source: Mapping[str, Any]) -> set[str]:
    """The questions the source's own safety rules watch."""
    return {str(rule.get("question")) for rule in source.get("safety") or []
            if isinstance(rule, dict)}


def _profile_words() -> dict[str, str]:
    return {
        "legal_name": gettext("legal name"),
        "preferred_name": gettext("preferred name"),
        "pronouns": gettext("pronouns"),
        "date_of_birth": gettext("date of birth"),
        "phone": gettext("phone number"),
        "address": gettext("address"),
        "emergency_contact_name": gettext("emergency contact's name"),
        "emergency_contact_phone": gettext("emergency contact's phone number"),
    }


def locked_reason(source: Mapping[str, Any], question_id: str) -> str | None:
    """Why the question ``question_id`` can't be removed or change meaning, as the page
    says it; None when it is free to edit."""
    if question_id in PROFILE_FIELDS:
        detail = _profile_words().get(question_id, question_id)
        return gettext("This question fills in the client's %(detail)s on file, so it can't "
                       "be removed or changed in meaning; you can adjust its wording."
                       ) % {"detail": detail}
    if question_id in safety_question_ids(source):
        return gettext("This is a safety question: some answers to it alert your practice, "
                       "so it can't be removed or changed in meaning; you can adjust its "
                       "wording.")
    return None


def block_reason(slug: str) -> str:
    """Why an instrument block is edited only whole."""
    return gettext("%(name)s is a published instrument, asked and scored as its authors "
                   "wrote it, so its questions can't be edited one by one; you can move "
                   "it or remove it whole.") % {"name": instrument_title(slug)}


def instrument_title(slug: str) -> str:
    try:
        title = shipped_instrument(slug).source.get("title")
    except UnknownInstrument:
        return slug
    if isinstance(title, dict):
        title = title.get(DEFAULT_LANGUAGE)
    return str(title or slug)


def _refuse_if_locked(source: Source, question_id: str) -> None:
    reason = locked_reason(source, question_id)
    if reason:
        raise EditError(reason)


# --- Checking what is typed ---------------------------------------------------------------


def _check_id(value: Any, source: Source, *, current: str | None = None) -> str:
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise EditError(gettext(
            "An id is a short name in lower-case letters, digits and underscores, starting "
            "with a letter (like “sleep_hours”)."))
    if value != current and value in every_id(source):
        raise EditError(gettext("The id “%(id)s” is already used in this questionnaire.")
                        % {"id": value})
    return value


def _check_text(value: Any, *, limit: int) -> str:
    if not isinstance(value, str):
        raise EditError(gettext("A text must be text."))
    if CONTROL_CHARACTERS.search(value):
        raise EditError(gettext("A text cannot hold control characters."))
    if len(value) > limit:
        raise EditError(gettext("A text can be at most %(limit)d characters long.")
                        % {"limit": limit})
    return value


def written(texts: Mapping[str, Any], key: str) -> Any:
    """The value to store for the text ``key`` from ``texts`` (language -> words): checked,
    blank translations left out (the default language's words are shown instead), None when
    nothing is written (the text is left out)."""
    limit = MAX_SHORT_TEXT if key in REQUIRED_TEXTS or key == "label" else MAX_TEXT
    offered = languages()
    unknown = set(texts) - set(offered)
    if unknown:
        raise EditError(gettext("The practice does not write questionnaires in %(language)s.")
                        % {"language": ", ".join(sorted(map(str, unknown)))})
    values = {language: _check_text(texts.get(language, ""), limit=limit).strip()
              for language in offered}
    if not values[DEFAULT_LANGUAGE]:
        if key in REQUIRED_TEXTS:
            raise EditError(gettext("The English text is required."))
        if any(values.values()):
            raise EditError(gettext("Write the English text first: it is what anyone "
                                    "reading in another language falls back to."))
        return None
    kept = {language: text for language, text in values.items() if text}
    return kept


def _set_texts(target: dict[str, Any], key: str, texts: Mapping[str, Any]) -> None:
    value = written(texts, key)
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def texts_of(value: Any) -> dict[str, str]:
    """A written text as language -> words (a plain string is the default language's)."""
    if isinstance(value, str):
        return {DEFAULT_LANGUAGE: value}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if isinstance(v, str)}
    return {}


def _move(items: list[Any], index: int, direction: str) -> None:
    if direction not in (UP, DOWN):
        raise EditError(gettext("Move up or down."))
    other = index - 1 if direction == UP else index + 1
    if not 0 <= other < len(items):
        raise EditError(gettext("It is already first.") if direction == UP
                        else gettext("It is already last."))
    items[index], items[other] = items[other], items[index]


# --- Sections -----------------------------------------------------------------------------


def section_add(source: Mapping[str, Any], *, section_id: str,
                title: Mapping[str, str]) -> Source:
    """A new empty section at the end (the draft can't be published until it holds a
    question). A shared questionnaire's new section starts private."""
    changed = _copy(source)
    if len(changed["sections"]) >= MAX_SECTIONS:
        raise EditError(gettext("A questionnaire can have at most %(count)d sections.")
                        % {"count": MAX_SECTIONS})
    section: dict[str, Any] = {"id": _check_id(section_id, changed)}
    _set_texts(section, "title", title)
    if changed.get("audience", INDIVIDUAL) != INDIVIDUAL:
        section["visibility"] = "private"
    section["questions"] = []
    changed["sections"].append(section)
    return changed


def section_update(source: Mapping[str, Any], section_id: str, *,
                   new_id: str | None = None,
                   texts: Mapping[str, Mapping[str, str]] | None = None,
                   visibility: str | None = None) -> Source:
    """Change a section's id, its texts (key -> language -> words) or who reads it."""
    changed = _copy(source)
    section = changed["sections"][_section_index(changed, section_id)]
    if new_id is not None and new_id != section_id:
        section["id"] = _check_id(new_id, changed, current=section_id)
    for key, words in (texts or {}).items():
        if key not in SECTION_TEXTS:
            raise EditError(gettext("A section has no text “%(key)s”.") % {"key": key})
        _set_texts(section, key, words)
    if visibility is not None:
        _set_visibility(changed, section, visibility, required=True)
    return changed


def _set_visibility(source: Source, target: dict[str, Any], visibility: str, *,
                    required: bool) -> None:
    if source.get("audience", INDIVIDUAL) == INDIVIDUAL:
        raise EditError(gettext("Who reads an answer is chosen only in couple, family and "
                                "adolescent questionnaires."))
    if visibility == "" and not required:
        target.pop("visibility", None)
        return
    if visibility not in VISIBILITIES:
        raise EditError(gettext("Choose private or shared."))
    target["visibility"] = visibility


def section_remove(source: Mapping[str, Any], section_id: str) -> Source:
    """Remove a section and what it asks (its instrument blocks too). Refused while it
    holds a locked question (move it to another section first) and for the last one."""
    changed = _copy(source)
    index = _section_index(changed, section_id)
    if len(changed["sections"]) == 1:
        raise EditError(gettext("A questionnaire needs at least one section."))
    section = changed["sections"][index]
    for entry in _questions_of(section):
        if isinstance(entry, dict) and not is_block(entry) and locked_reason(
                changed, str(entry.get("id"))):
            raise EditError(gettext(
                "This section holds “%(id)s”, which can't be removed: move it to another "
                "section first.") % {"id": entry.get("id")})
    for entry in _questions_of(section):
        if is_block(entry):
            _drop_scale(changed, entry["instrument"])
    del changed["sections"][index]
    return changed


def section_move(source: Mapping[str, Any], section_id: str, direction: str) -> Source:
    changed = _copy(source)
    _move(changed["sections"], _section_index(changed, section_id), direction)
    return changed


# --- Questions ----------------------------------------------------------------------------


def question_add(source: Mapping[str, Any], *, section_id: str, question_type_name: str,
                 question_id: str, label: Mapping[str, str],
                 group_id: str | None = None) -> Source:
    """A new question of a type at the end of a section (or of the group ``group_id``).
    A choice starts with no options: the draft names that until two are added."""
    changed = _copy(source)
    if question_type_name not in ADDABLE_TYPES:
        raise EditError(gettext("Choose a type of question from the list."))
    question: dict[str, Any] = {"id": _check_id(question_id, changed),
                                "type": question_type_name}
    _set_texts(question, "label", label)
    question.update(copy.deepcopy(_NEW_QUESTION[question_type_name]))
    if group_id:
        holder, index = _find(changed, group_id)
        group = holder[index]
        if group.get("type") != "group" or not _is_top_level(changed, group_id):
            raise EditError(gettext("Only a repeating group holds questions."))
        if question_type_name == "group":
            raise EditError(gettext("A group cannot hold another group."))
        target = group.setdefault("questions", [])
    else:
        target = _questions_of(changed["sections"][_section_index(changed, section_id)])
    if len(target) >= MAX_QUESTIONS:
        raise EditError(gettext("A section can have at most %(count)d questions.")
                        % {"count": MAX_QUESTIONS})
    target.append(question)
    return changed


def question_update(source: Mapping[str, Any], question_id: str, *,
                    new_id: str | None = None,
                    texts: Mapping[str, Mapping[str, str]] | None = None,
                    settings_: Mapping[str, Any] | None = None) -> Source:
    """Change a question's id, texts (key -> language -> words) and settings (required,
    sensitive, visibility, max_length, min_value, max_value, not_future, max_items). A
    locked question takes new words only."""
    changed = _copy(source)
    holder, index = _find(changed, question_id)
    question = holder[index]
    reason = locked_reason(changed, question_id)
    if new_id is not None and new_id != question_id:
        if reason:
            raise EditError(reason)
        _check_id(new_id, changed, current=question_id)
        _rename_references(changed, question_id, new_id)
        question["id"] = new_id
    for key, words in (texts or {}).items():
        if key not in QUESTION_TEXTS:
            raise EditError(gettext("A question has no text “%(key)s”.") % {"key": key})
        _set_texts(question, key, words)
    if settings_:
        if reason and any(_setting(question, key) != value
                          for key, value in settings_.items()):
            raise EditError(reason)
        _apply_settings(changed, question, dict(settings_),
                        top_level=_is_top_level(changed, question.get("id", "")))
    return changed


def _setting(question: Mapping[str, Any], key: str) -> Any:
    """A question's setting as a form shows it (left out: its default)."""
    if key in ("required", "sensitive", "not_future"):
        return bool(question.get(key, False))
    if key == "visibility":
        return question.get("visibility", "")
    if key == "max_length" and question.get(key) is None:
        try:
            return question_type(question.get("type")).default_max_length
        except UnknownQuestionType:
            return None
    return question.get(key)


def _rename_references(source: Source, old: str, new: str) -> None:
    for section in _sections(source):
        for entry in [section, *_questions_of(section)]:
            condition = entry.get("condition") if isinstance(entry, dict) else None
            if isinstance(condition, dict) and condition.get("question") == old:
                condition["question"] = new


def _apply_settings(source: Source, question: dict[str, Any], values: dict[str, Any], *,
                    top_level: bool) -> None:
    kind = question_type(question.get("type"))
    for key in ("required", "sensitive", "not_future"):
        if key in values:
            if not isinstance(values[key], bool):
                raise EditError(gettext("Choose yes or no."))
            if key == "not_future" and not kind.may_be_not_future:
                raise EditError(gettext("Only a date can refuse dates in the future."))
            if values[key]:
                question[key] = True
            else:
                question.pop(key, None)
    if question.get("required") and question.get("sensitive"):
        raise EditError(gettext("A sensitive question is always optional: it can't also be "
                                "required."))
    if "visibility" in values:
        if not top_level:
            raise EditError(gettext("A question in a group is read by whoever reads its "
                                    "group."))
        _set_visibility(source, question, values["visibility"], required=False)
    limits = {"max_length": (kind.default_max_length is not None, 1, 20000),
              "min_value": (kind.has_range, -1_000_000, 1_000_000),
              "max_value": (kind.has_range, -1_000_000, 1_000_000),
              "max_items": (kind.holds_questions, 1, 50)}
    for key, (applies, low, high) in limits.items():
        if key not in values:
            continue
        value = values[key]
        if not applies:
            raise EditError(gettext("This type of question has no “%(key)s”.") % {"key": key})
        if type(value) is not int or not low <= value <= high:
            raise EditError(gettext("Give a whole number from %(low)d to %(high)d.")
                            % {"low": low, "high": high})
        question[key] = value
    if kind.has_range and question.get("min_value", 0) > question.get("max_value", 0):
        raise EditError(gettext("The lowest number can't be above the highest."))
    unknown = set(values) - {"required", "sensitive", "not_future", "visibility", *limits}
    if unknown:
        raise EditError(gettext("A question has no setting “%(key)s”.")
                        % {"key": ", ".join(sorted(unknown))})


def question_set_required(source: Mapping[str, Any], question_id: str,
                          required: bool) -> Source:
    return question_update(source, question_id, settings_={"required": required})


def question_set_sensitive(source: Mapping[str, Any], question_id: str,
                           sensitive: bool) -> Source:
    return question_update(source, question_id, settings_={"sensitive": sensitive})


def question_set_visibility(source: Mapping[str, Any], question_id: str,
                            visibility: str) -> Source:
    """Private or shared, or "" for the section's; only in shared questionnaires."""
    return question_update(source, question_id, settings_={"visibility": visibility})


def question_remove(source: Mapping[str, Any], question_id: str) -> Source:
    """Remove a question (refused for a locked one). A condition on it is left for the
    parser to name, so nothing else changes behind the admin's back."""
    changed = _copy(source)
    holder, index = _find(changed, question_id)
    _refuse_if_locked(changed, question_id)
    del holder[index]
    return changed


def _entry_index(section: dict[str, Any], key: str) -> int:
    for index, entry in enumerate(_questions_of(section)):
        if is_block(entry) and f"instrument:{entry['instrument']}" == key:
            return index
        if isinstance(entry, dict) and not is_block(entry) and entry.get("id") == key:
            return index
    return -1


def _locate_entry(source: Source, key: str) -> tuple[list[Any], int]:
    """A section's entry: a top-level question by id, or an instrument block as
    ``instrument:<slug>``; a group's question by id."""
    for section in _sections(source):
        index = _entry_index(section, key)
        if index >= 0:
            return _questions_of(section), index
    if key.startswith("instrument:"):
        raise EditError(gettext("This draft does not ask that instrument."))
    return _find(source, key)


def question_move(source: Mapping[str, Any], key: str, direction: str) -> Source:
    """Move a question (or an instrument block, ``instrument:<slug>``, whole) up or down
    within its section (or group)."""
    changed = _copy(source)
    holder, index = _locate_entry(changed, key)
    _move(holder, index, direction)
    return changed


def question_move_to_section(source: Mapping[str, Any], key: str, section_id: str) -> Source:
    """Move a top-level question or an instrument block to the end of another section."""
    changed = _copy(source)
    target_section = changed["sections"][_section_index(changed, section_id)]
    target = _questions_of(target_section)
    if target_section.get("condition") is not None and locked_reason(changed, key):
        raise EditError(gettext(
            "That section is shown only sometimes, and “%(id)s” is always asked: choose "
            "another section.") % {"id": key})
    for section in _sections(changed):
        index = _entry_index(section, key)
        if index >= 0:
            if section is changed["sections"][_section_index(changed, section_id)]:
                raise EditError(gettext("It is already in that section."))
            target.append(_questions_of(section).pop(index))
            return changed
    raise EditError(gettext("Only a question of a section, not of a group, moves to "
                            "another section."))


# --- Options ------------------------------------------------------------------------------


def _choice(source: Source, question_id: str) -> dict[str, Any]:
    holder, index = _find(source, question_id)
    question = holder[index]
    try:
        kind = question_type(question.get("type"))
    except UnknownQuestionType:
        kind = None
    if kind is None or not kind.takes_options or kind.fixed_options:
        raise EditError(gettext("Only a choice question has options to edit."))
    return question


def _option_index(question: dict[str, Any], value: Any) -> int:
    for index, option in enumerate(question.get("options") or []):
        if isinstance(option, dict) and str(option.get("value")) == str(value):
            return index
    raise EditError(gettext("There is no option “%(value)s”.") % {"value": value})


def option_add(source: Mapping[str, Any], question_id: str, *, value: str,
               label: Mapping[str, str]) -> Source:
    """A new option at the end of a choice question's. Its value is what is stored and
    exported: an id, or a whole number when the question's options are numbers."""
    changed = _copy(source)
    question = _choice(changed, question_id)
    _refuse_if_locked(changed, question_id)
    options = question.setdefault("options", [])
    if len(options) >= MAX_OPTIONS:
        raise EditError(gettext("A question can have at most %(count)d options.")
                        % {"count": MAX_OPTIONS})
    numbers = bool(options) and all(type(option.get("value")) is int for option in options
                                    if isinstance(option, dict))
    stored: Any
    if numbers:
        try:
            stored = int(value)
        except ValueError:
            raise EditError(gettext("This question's options are numbered: give a whole "
                                    "number.")) from None
    else:
        stored = _option_value(value)
    if any(isinstance(option, dict) and option.get("value") == stored for option in options):
        raise EditError(gettext("The question already has an option “%(value)s”.")
                        % {"value": stored})
    option: dict[str, Any] = {"value": stored}
    _set_texts(option, "label", label)
    options.append(option)
    return changed


def _option_value(value: Any) -> str:
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise EditError(gettext(
            "An option's value is a short name in lower-case letters, digits and "
            "underscores, starting with a letter (like “most_days”)."))
    return value


def option_update(source: Mapping[str, Any], question_id: str, value: Any, *,
                  label: Mapping[str, str]) -> Source:
    """New words for an option (its value stays: answers already given keep their
    meaning). A locked question's options can be reworded too."""
    changed = _copy(source)
    holder, index = _find(changed, question_id)
    question = holder[index]
    option = (question.get("options") or [])[_option_index(question, value)]
    _set_texts(option, "label", label)
    return changed


def option_remove(source: Mapping[str, Any], question_id: str, value: Any) -> Source:
    changed = _copy(source)
    question = _choice(changed, question_id)
    _refuse_if_locked(changed, question_id)
    del question["options"][_option_index(question, value)]
    return changed


def option_move(source: Mapping[str, Any], question_id: str, value: Any,
                direction: str) -> Source:
    changed = _copy(source)
    question = _choice(changed, question_id)
    _refuse_if_locked(changed, question_id)
    _move(question["options"], _option_index(question, value), direction)
    return changed


# --- Conditions ---------------------------------------------------------------------------


def answer_values(source: Mapping[str, Any], question_id: str) -> list[Any] | None:
    """The answers a question can have (for a condition on it), None for free answers."""
    question = find_question(source, question_id)
    try:
        kind = question_type(question.get("type"))
    except UnknownQuestionType:
        return None
    if kind.fixed_options:
        values = list(kind.fixed_options)
    elif kind.takes_options:
        values = [option.get("value") for option in question.get("options") or []
                  if isinstance(option, dict)]
    else:
        return None
    if question.get("sensitive"):
        values.append("in_person")
    return values


def condition_set(source: Mapping[str, Any], question_id: str, *, on: str, kind: str,
                  values: list[str] | None = None) -> Source:
    """Show ``question_id`` only when the top-level question ``on`` was answered
    (``kind`` "answered"), or answered one of ``values`` ("equals" for one, "in" for
    several). A question later than ``question_id`` is allowed here (the draft names it:
    moving questions may fix it); a value that question can't have is refused."""
    changed = _copy(source)
    holder, index = _find(changed, question_id)
    _refuse_if_locked(changed, question_id)
    if not _is_top_level(changed, question_id):
        raise EditError(gettext("A question in a group can't have a condition."))
    if on == question_id:
        raise EditError(gettext("A question can't depend on its own answer."))
    holder[index]["condition"] = _condition(changed, on, kind, values)
    return changed


def section_condition_set(source: Mapping[str, Any], section_id: str, *, on: str, kind: str,
                          values: list[str] | None = None) -> Source:
    """Show a whole section only when an earlier question was answered (as
    ``condition_set``). Refused while the section holds a locked question: hiding it would
    hide the client's details or the safety question."""
    changed = _copy(source)
    section = changed["sections"][_section_index(changed, section_id)]
    _refuse_hiding_locked(changed, section)
    section["condition"] = _condition(changed, on, kind, values)
    return changed


def section_condition_clear(source: Mapping[str, Any], section_id: str) -> Source:
    changed = _copy(source)
    changed["sections"][_section_index(changed, section_id)].pop("condition", None)
    return changed


def _refuse_hiding_locked(source: Source, section: dict[str, Any]) -> None:
    for entry in _questions_of(section):
        if isinstance(entry, dict) and not is_block(entry):
            reason = locked_reason(source, str(entry.get("id")))
            if reason:
                raise EditError(gettext(
                    "This section holds “%(id)s”, which is always asked: it can't be shown "
                    "only sometimes.") % {"id": entry.get("id")})


def _condition(changed: Source, on: str, kind: str,
               values: list[str] | None) -> dict[str, Any]:
    if not _is_top_level(changed, on):
        raise EditError(gettext("A condition depends on a question of a section (not of a "
                                "group)."))
    condition: dict[str, Any] = {"question": on}
    if kind == "answered":
        condition["answered"] = True
    elif kind in ("equals", "in"):
        possible = answer_values(changed, on)
        chosen: list[Any] = []
        for value in values or []:
            match = [p for p in possible or [] if str(p) == str(value)]
            if possible is None or not match:
                raise EditError(gettext("“%(value)s” is not an answer “%(id)s” can have.")
                                % {"value": value, "id": on})
            chosen.append(match[0])
        if not chosen:
            raise EditError(gettext("Choose the answer(s) that show this question."))
        if len(chosen) == 1:
            condition["equals"] = chosen[0]
        else:
            condition["in"] = chosen
    else:
        raise EditError(gettext("Choose when the question is shown."))
    return condition


def questionnaire_update(source: Mapping[str, Any], *,
                         texts: Mapping[str, Mapping[str, str]]) -> Source:
    """The questionnaire's own title and introduction, in each language."""
    changed = _copy(source)
    for key, words in texts.items():
        if key not in QUESTIONNAIRE_TEXTS:
            raise EditError(gettext("A questionnaire has no text “%(key)s”.") % {"key": key})
        _set_texts(changed, key, words)
    return changed


def condition_clear(source: Mapping[str, Any], question_id: str) -> Source:
    changed = _copy(source)
    holder, index = _find(changed, question_id)
    _refuse_if_locked(changed, question_id)
    holder[index].pop("condition", None)
    return changed


# --- Instrument blocks --------------------------------------------------------------------


def shipped_instruments() -> list[str]:
    """The instruments that can be inserted (``intake/instruments/*.json``)."""
    from intake.instrument_sources import INSTRUMENTS_DIR

    return sorted(path.stem for path in INSTRUMENTS_DIR.glob("*.json"))


def _asked(source: Source) -> set[str]:
    return {str(entry["instrument"]) for section in _sections(source)
            for entry in _questions_of(section) if is_block(entry)}


def instrument_insert(source: Mapping[str, Any], *, section_id: str, slug: str) -> Source:
    """Ask a shipped instrument, whole, at the end of a section, and score it."""
    changed = _copy(source)
    if slug not in shipped_instruments():
        raise EditError(gettext("Choose an instrument from the list."))
    if slug in _asked(changed):
        raise EditError(gettext("This questionnaire already asks %(name)s.")
                        % {"name": instrument_title(slug)})
    taken = every_id(changed) & set(_block_item_ids(slug))
    if taken:
        raise EditError(gettext("The id “%(id)s” is already used in this questionnaire.")
                        % {"id": sorted(taken)[0]})
    section = changed["sections"][_section_index(changed, section_id)]
    _questions_of(section).append({"instrument": slug})
    instruments = changed.setdefault("instruments", [])
    if not any(isinstance(entry, dict) and entry.get("ref") == slug for entry in instruments):
        instruments.append({"ref": slug})
    return changed


def _drop_scale(source: Source, slug: str) -> None:
    source["instruments"] = [entry for entry in source.get("instruments") or []
                             if not (isinstance(entry, dict) and entry.get("ref") == slug)]
    if not source["instruments"]:
        del source["instruments"]


def instrument_remove(source: Mapping[str, Any], slug: str) -> Source:
    """Stop asking an instrument: its questions and its scale go together."""
    changed = _copy(source)
    if slug not in _asked(changed):
        raise EditError(gettext("This draft does not ask that instrument."))
    for section in _sections(changed):
        section["questions"] = [entry for entry in _questions_of(section)
                                if not (is_block(entry) and entry["instrument"] == slug)]
    _drop_scale(changed, slug)
    return changed
