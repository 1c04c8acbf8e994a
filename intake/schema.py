"""The questionnaire definition: one source of truth for forms, validation, review, scoring,
summaries and exports.

A definition is data (``intake/questionnaires/*.json``), read by ``parse_definition`` into the
frozen classes below, which refuse anything malformed with the path of the problem. The
format, in short::

    {"slug": "default-intake", "version": "1", "title": "...", "intro": "...",
     "audience": "individual",
     "sections": [
       {"id": "about_you", "title": "...", "intro": "...", "content_note": "",
        "condition": null, "visibility": "private",
        "questions": [
          {"id": "legal_name", "type": "short_text", "label": "...", "help": "",
           "why": "why we ask this", "required": true, "sensitive": false,
           "max_length": 200, "condition": null},
          {"id": "relationships", "type": "group", "label": "...", "max_items": 8,
           "questions": [ ...questions of the simple types... ]}]}],
     "instruments": [
       {"id": "phq9", "title": "...", "attribution": "...", "interpretation": "",
        "items": ["phq9_1", ...],
        "bands": [{"min": 0, "max": 4, "label": "Minimal"}, ...]}],
     "safety": [{"question": "phq9_9", "in": [1, 2, 3]},
                {"question": "thoughts_of_ending_life_now", "equals": "yes"}]}

Question types (each one class in ``intake.question_types``, which says which of these keys
a type takes; the parser refuses an unknown type): ``short_text``, ``long_text``
(``max_length``), ``single_choice``, ``multiple_choice`` (``options``:
``[{"value", "label"}]``; a single choice's values may instead all be whole numbers),
``frequency`` (the 0-3 scale of PHQ-9 and GAD-7: ``options`` with values 0 to 3),
``yes_no``, ``date`` (``not_future``), ``number`` (``min_value``, ``max_value``) and
``group`` (a repeating group of simple questions, ``max_items``). A condition
(``{"question": id, "equals": v}``, ``{"question": id, "in": [..]}`` or
``{"question": id, "answered": true}``) shows a question or section only when an earlier
top-level answer matches. A ``sensitive`` question is optional and also accepts
``IN_PERSON``: "I'd rather talk about this in person".

Who reads the answers (``audience``): ``individual`` (the default) is one person's
questionnaire, read by them and their care team; it may not say ``visibility`` anywhere.
``couple``, ``family`` and ``adolescent`` questionnaires are filled in by each person of a
case, and every section declares ``"visibility": "private"`` (the person and their care
team only) or ``"shared"`` (the other people of the case too: the partner, the other adults,
the parents or guardians). A top-level question may override its section's (a private
question on a shared page); a group's questions take their group's. A shared question or
section may not have a condition on a private answer: being shown would give it away.
``Questionnaire.visibility_of`` and ``shared_question_ids`` answer from this; the words
people read about it, and the one filter every page or export for the others goes
through (``shared_answers``), are in ``intake.visibility``.

Instruments sum whole-number answers: each item is a required, non-sensitive, top-level
``frequency`` question (0-3) or ``single_choice`` whose option values are all whole numbers
(a ``single_choice`` never mixes identifiers and numbers). The totals run from the sum of
the items' lowest values to the sum of their highest (``min_total``, ``max_total``) and the
bands cover every total in between exactly once. ``interpretation`` is an optional sentence
for staff saying what a score means.

Languages: every text (a title, intro, content note, label, help, why, option label, band
label, attribution, interpretation) is either a string, in the default language (English),
or an object giving it per language, ``{"en": "...", "es": "..."}``, which must include the
default language (refused otherwise: a text nobody can fall back to). A language left out
of a text is shown in the default language instead, never as a blank; so a translation is
added text by text, and a builder edits each text where it stands. ``parse_definition``
resolves the questionnaire for one reader's language (the active one unless told), and the
objects keep every language's text besides (``intake.schema_classes.Localized``). Adding or
changing a translation changes the definition's digest, so it is a new version, like any
other change; version 1 of each shipped questionnaire is English only, as it always was.
The texts of a published instrument (PHQ-9, GAD-7, CSI-4) are only ever the publisher's
official translation; an instrument without one stays in English, and the page says why.

This is the self-contained form, as stored and hashed. The shipped source files do not
repeat the PHQ-9, GAD-7 or CSI-4: they refer to the instruments' own files
(``intake/instruments``), and ``intake.instrument_references`` writes those references out
before this parser sees them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from intake.question_types import (
    QuestionType,
    UnknownQuestionType,
    question_type,
    registered_types,
)
from intake.schema_classes import (
    AUDIENCES,
    DEFAULT_LANGUAGE,
    IDENTIFIER,
    IN_PERSON,
    IN_PERSON_LABEL,
    INDIVIDUAL,
    LANGUAGE_TAG,
    PRIVATE,
    SHARED,
    UNTRANSLATED_INSTRUMENT,
    UNTRANSLATED_QUESTIONS,
    VISIBILITIES,
    Band,
    Condition,
    DefinitionError,
    Instrument,
    Option,
    Question,
    Questionnaire,
    Section,
    active_language,
    in_person_label,
    resolved,
)

__all__ = [
    "AUDIENCES",
    "DEFAULT_LANGUAGE",
    "INDIVIDUAL",
    "IN_PERSON",
    "IN_PERSON_LABEL",
    "PRIVATE",
    "SHARED",
    "TEXT_TYPES",
    "VISIBILITIES",
    "Band",
    "Condition",
    "DefinitionError",
    "Instrument",
    "Option",
    "Question",
    "Questionnaire",
    "Section",
    "active_language",
    "in_person_label",
    "parse_condition",
    "parse_definition",
    "parse_question",
    "parse_scale",
    "top_level_questions",
]

# The types answered in typed free text (``short_text``, ``long_text``).
TEXT_TYPES = frozenset(name for name, kind in registered_types().items() if kind.free_text)


# --- Parsing ----------------------------------------------------------------------------


def _require(condition: object, where: str, message: str) -> None:
    if not condition:
        raise DefinitionError(f"{where}: {message}")


def _text(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    """A text that is never translated (an id-like value: the slug, the version)."""
    value = data.get(key, "")
    _require(isinstance(value, str), where, f"'{key}' must be text")
    _require(bool(value.strip()) or not required, where, f"'{key}' is required")
    return value


def written_texts(data: Mapping[str, Any], key: str, where: str, *,
                  required: bool = False) -> dict[str, str]:
    """Every language's version of the text ``key``: a string is the default language's;
    an object maps language tags to texts, and must hold the default language (and, when
    the text is ``required``, a non-blank one). A translation is never blank: leave the
    language out instead, and the default language's text is shown."""
    value = data.get(key, "")
    if isinstance(value, str):
        _require(bool(value.strip()) or not required, where, f"'{key}' is required")
        return {DEFAULT_LANGUAGE: value}
    _require(isinstance(value, dict), where,
             f"'{key}' must be text, or an object of texts by language "
             "({\"en\": \"...\", \"es\": \"...\"})")
    for language, text in value.items():
        _require(isinstance(language, str) and bool(LANGUAGE_TAG.match(language)), where,
                 f"'{key}': {language!r} is not a language tag (like \"en\" or \"es\")")
        _require(isinstance(text, str), where, f"'{key}': the {language!r} text must be text")
    _require(DEFAULT_LANGUAGE in value, where,
             f"'{key}' has no {DEFAULT_LANGUAGE!r} text: every text is written in the "
             f"default language ({DEFAULT_LANGUAGE!r}) first, then translated")
    _require(bool(value[DEFAULT_LANGUAGE].strip()) or not required, where,
             f"'{key}' is required")
    for language, text in value.items():
        _require(language == DEFAULT_LANGUAGE or bool(text.strip())
                 or not value[DEFAULT_LANGUAGE].strip(), where,
                 f"'{key}': the {language!r} text is blank (leave the language out instead)")
    return dict(value)


class _Reader:
    """Reads the texts of one object for one language, keeping every language's."""

    def __init__(self, data: Mapping[str, Any], where: str, language: str) -> None:
        self.data, self.where, self.language = data, where, language
        self.texts: dict[str, dict[str, str]] = {}

    def __call__(self, key: str, *, required: bool = False) -> str:
        written = written_texts(self.data, key, self.where, required=required)
        self.texts[key] = written
        return resolved(written, self.language)


def reader_language(language: str | None) -> str:
    """The language to resolve texts for: ``language``, else the active one."""
    return (language or active_language()).lower()


def _known_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(data) - allowed
    _require(not unknown, where, f"unknown keys {sorted(unknown)}")


def _condition(data: Any, where: str, earlier: Mapping[str, Question]) -> Condition | None:
    """A condition on an earlier top-level question; its values must be answers that
    question can have (a typo would otherwise silently never match, e.g. turn off a risk
    flag)."""
    if data is None:
        return None
    _require(isinstance(data, dict), where, "a condition is an object")
    _known_keys(data, {"question", "equals", "in", "answered"}, where)
    target = data.get("question")
    _require(isinstance(target, str) and target in earlier, where,
             f"condition refers to {target!r}, which is not an earlier top-level question")
    kinds = [key for key in ("equals", "in", "answered") if key in data]
    _require(len(kinds) == 1, where, "a condition has exactly one of equals, in, answered")
    if "answered" in data:
        _require(data["answered"] is True, where, "'answered' can only be true")
        return Condition(target, answered=True)
    values = data["in"] if "in" in data else [data["equals"]]
    _require(isinstance(values, list) and bool(values), where, "'in' is a non-empty list")
    question = earlier[target]
    if question.options:
        possible = [*question.option_values(), *([IN_PERSON] if question.sensitive else [])]
        for value in values:
            _require(any(value == p and type(value) is type(p) for p in possible), where,
                     f"{value!r} is not an answer {target!r} can have")
    if "in" in data:
        return Condition(target, one_of=tuple(values))
    return Condition(target, equals=values[0])


def _options(data: Mapping[str, Any], kind: QuestionType, where: str,
             language: str) -> tuple[Option, ...]:
    if kind.fixed_options:
        _require("options" not in data, where, f"{kind.name} questions have fixed options")
        return kind.options_for(language)
    if not kind.takes_options:
        _require("options" not in data, where, f"{kind.name} questions take no options")
        return ()
    raw: Any = data.get("options")
    _require(isinstance(raw, list) and len(raw) >= 2, where, "needs at least two options")
    options = []
    for number, item in enumerate(raw):
        spot = f"{where}.options[{number}]"
        _require(isinstance(item, dict), spot, "an option is an object")
        _known_keys(item, {"value", "label"}, spot)
        value = item.get("value")
        problem = kind.option_value_problem(value, number)
        _require(problem is None, spot, str(problem))
        text = _Reader(item, spot, language)
        label = text("label", required=True)
        options.append(Option(value, label, texts=text.texts, language=language))
    problem = kind.options_problem(options)
    _require(problem is None, where, str(problem))
    values = [option.value for option in options]
    _require(len(values) == len(set(values)), where, "option values must be unique")
    return tuple(options)


_QUESTION_KEYS = {
    "id", "type", "label", "help", "why", "required", "sensitive", "options", "max_length",
    "min_value", "max_value", "not_future", "max_items", "condition", "questions",
    "visibility",
}


def _visibility(data: Mapping[str, Any], where: str, audience: str, *,
                required: bool) -> str | None:
    """A section's or top-level question's declared visibility: only on questionnaires
    shared between people, where a section must declare one (no default: forgetting it
    must not quietly share, nor quietly hide, what a page promises)."""
    if audience == INDIVIDUAL:
        _require("visibility" not in data, where,
                 "'visibility' is only for couple, family or adolescent questionnaires")
        return None
    if "visibility" not in data:
        _require(not required, where,
                 f"a section of a {audience} questionnaire declares 'visibility' "
                 "(private or shared)")
        return None
    value = data["visibility"]
    _require(value in VISIBILITIES, where,
             f"'visibility' is private or shared, not {value!r}")
    return str(value)


def _question(
    data: Any, where: str, earlier: Mapping[str, Question], *, in_group: bool = False,
    audience: str = INDIVIDUAL, language: str = DEFAULT_LANGUAGE,
) -> Question:
    _require(isinstance(data, dict), where, "a question is an object")
    question_id = data.get("id")
    _require(isinstance(question_id, str) and bool(IDENTIFIER.match(question_id)), where,
             "'id' is a lower-case identifier")
    where = f"{where} ({question_id})"
    _known_keys(data, _QUESTION_KEYS, where)
    try:
        kind = question_type(data.get("type"))
    except UnknownQuestionType:
        raise DefinitionError(f"{where}: unknown type {data.get('type')!r}") from None
    _require(not (in_group and kind.holds_questions), where, "groups cannot contain groups")
    _require(not (in_group and data.get("condition") is not None), where,
             "questions inside a group cannot have conditions")
    _require(not (in_group and "visibility" in data), where,
             "questions inside a group take their group's visibility")
    visibility = None if in_group else _visibility(data, where, audience, required=False)
    required = data.get("required", False)
    sensitive = data.get("sensitive", False)
    _require(isinstance(required, bool) and isinstance(sensitive, bool), where,
             "'required' and 'sensitive' are true or false")
    _require(not (required and sensitive), where, "sensitive questions are always optional")
    max_length = data.get("max_length")
    if kind.default_max_length is not None:
        max_length = kind.default_max_length if max_length is None else max_length
        _require(isinstance(max_length, int) and 1 <= max_length <= 20000, where,
                 "'max_length' is 1 to 20000")
    else:
        _require(max_length is None, where, "only text questions have 'max_length'")
    min_value, max_value = data.get("min_value"), data.get("max_value")
    if kind.has_range:
        _require(isinstance(min_value, int) and isinstance(max_value, int)
                 and min_value <= max_value, where, "numbers need min_value <= max_value")
    else:
        _require(min_value is None and max_value is None, where,
                 "only number questions have a range")
    not_future = data.get("not_future", False)
    _require(not not_future or kind.may_be_not_future, where, "only dates can be 'not_future'")
    children: tuple[Question, ...] = ()
    max_items = data.get("max_items")
    if kind.holds_questions:
        raw_children = data.get("questions")
        _require(isinstance(raw_children, list) and raw_children, where,
                 "a group lists its questions")
        children = tuple(
            _question(child, f"{where}.questions[{number}]", {}, in_group=True,
                      language=language)
            for number, child in enumerate(raw_children)
        )
        ids = [child.id for child in children]
        _require(len(ids) == len(set(ids)), where, "question ids in a group must be unique")
        _require(isinstance(max_items, int) and 1 <= max_items <= 50, where,
                 "a group needs 'max_items' from 1 to 50")
    else:
        _require("questions" not in data and max_items is None, where,
                 "only groups have 'questions' and 'max_items'")
    text = _Reader(data, where, language)
    return Question(
        id=question_id,
        type=kind.name,
        label=text("label", required=True),
        help=text("help"),
        why=text("why"),
        required=required,
        sensitive=sensitive,
        options=_options(data, kind, where, language),
        max_length=max_length,
        min_value=min_value,
        max_value=max_value,
        not_future=bool(not_future),
        max_items=max_items,
        condition=None if in_group else _condition(data.get("condition"), where, earlier),
        questions=children,
        visibility=visibility,
        texts=text.texts,
        language=language,
    )


def _instrument(data: Any, where: str, top_level: Mapping[str, Question],
                language: str = DEFAULT_LANGUAGE) -> Instrument:
    """A scored scale: each item a required, non-sensitive, top-level question whose
    answers are whole numbers (a ``frequency``, or a ``single_choice`` with whole-number
    options), listed once; bands that cover every possible total, from the sum of the
    items' lowest values to the sum of their highest, exactly once."""
    _require(isinstance(data, dict), where, "an instrument is an object")
    _known_keys(data, {"id", "title", "attribution", "interpretation", "items", "bands",
                       "version"}, where)
    instrument_id = data.get("id")
    _require(isinstance(instrument_id, str) and bool(IDENTIFIER.match(instrument_id)), where,
             "'id' is a lower-case identifier")
    items = data.get("items")
    _require(isinstance(items, list) and bool(items), where, "'items' lists question ids")
    _require(len(items) == len(set(map(str, items))), where, "an item is listed twice")
    ranges: list[tuple[int, int]] = []  # each item's lowest and highest score
    for item in items:
        question = top_level.get(item) if isinstance(item, str) else None
        scored = question_type(question.type).scale_range(question) if question else None
        if question is None or scored is None:
            raise DefinitionError(f"{where}: item {item!r} is not a top-level frequency "
                                  "question, nor a single choice with whole-number options")
        _require(question.required and not question.sensitive, where,
                 f"item {item!r} must be required and not sensitive (the total needs it)")
        ranges.append(scored)
    lowest = sum(low for low, _ in ranges)
    highest = sum(high for _, high in ranges)
    bands = []
    expected_min = lowest
    raw_bands = data.get("bands")
    _require(isinstance(raw_bands, list), where, "'bands' is a list")
    for number, band in enumerate(raw_bands):
        spot = f"{where}.bands[{number}]"
        _require(isinstance(band, dict), spot, "a band is an object")
        _known_keys(band, {"min", "max", "label"}, spot)
        low, high = band.get("min"), band.get("max")
        _require(type(low) is int and low == expected_min and type(high) is int
                 and high >= low, spot, f"bands must run on from {expected_min}")
        band_text = _Reader(band, spot, language)
        label = band_text("label", required=True)
        bands.append(Band(low, high, label, texts=band_text.texts, language=language))
        expected_min = high + 1
    _require(expected_min == highest + 1, where,
             f"bands must cover {lowest} to {highest} exactly")
    text = _Reader(data, where, language)
    return Instrument(
        id=instrument_id,
        title=text("title", required=True),
        attribution=text("attribution", required=True),
        items=tuple(items),
        bands=tuple(bands),
        interpretation=text("interpretation"),
        item_ranges=tuple(ranges),
        version=_text(data, "version", where),
        texts=text.texts,
        language=language,
    )


def parse_question(data: Any, where: str, language: str = DEFAULT_LANGUAGE) -> Question:
    """One top-level question standing alone (an instrument's item), checked as a
    questionnaire checks its questions; it may have no condition (nothing comes before it)."""
    return _question(data, where, {}, language=language)


def parse_scale(data: Any, where: str, questions: Mapping[str, Question],
                language: str = DEFAULT_LANGUAGE) -> Instrument:
    """An ``instruments`` entry scoring some of ``questions`` (see ``_instrument``)."""
    return _instrument(data, where, questions, language)


def parse_condition(data: Any, where: str,
                    questions: Mapping[str, Question]) -> Condition | None:
    """A condition (or safety rule) on one of ``questions`` (see ``_condition``)."""
    return _condition(data, where, questions)


def _no_shared_clue_to_a_private_answer(
    where: str, condition: Condition | None, visibility_of: Mapping[str, str]
) -> None:
    """A shared question (or section) shown only after a private answer would tell the
    other people that answer by being there at all: refused."""
    if condition is not None and visibility_of.get(condition.question) != SHARED:
        raise DefinitionError(
            f"{where}: a shared question cannot depend on the private answer to "
            f"{condition.question!r} (being shown would give that answer away)"
        )


def _written_in(data: Any, language: str) -> bool:
    """Whether any text of ``data`` (raw JSON) is written in ``language``."""
    if isinstance(data, dict):
        if DEFAULT_LANGUAGE in data and language in data:
            return True
        return any(_written_in(value, language) for value in data.values())
    if isinstance(data, list):
        return any(_written_in(value, language) for value in data)
    return False


def _with_language_notes(questions: list[Question], language: str,
                         instrument_ids: set[str]) -> list[Question]:
    """``questions`` (one section's), the first of each run shown in the default language
    to a reader of ``language`` marked with why (``Question.language_note``). In a version
    translated into ``language``, an instrument's question left in the default language has
    no official translation; anything else is a version written before ``language`` was
    (``instrument_ids`` is empty then: every question gets the plain note)."""
    if language == DEFAULT_LANGUAGE:
        return questions
    marked, previous_translated = [], True
    for question in questions:
        translated = question.label_language == language
        if not translated and previous_translated:
            instrument = any(question.id.startswith(f"{slug}_") for slug in instrument_ids)
            note = UNTRANSLATED_INSTRUMENT if instrument else UNTRANSLATED_QUESTIONS
            question = replace(question, language_note=note)
        marked.append(question)
        previous_translated = translated
    return marked


def _every_text(questionnaire: Questionnaire) -> list[frozenset[str]]:
    """The languages of every non-blank text in ``questionnaire``."""
    objects: list[Any] = [questionnaire, *questionnaire.sections, *questionnaire.instruments]
    for instrument in questionnaire.instruments:
        objects += instrument.bands
    for question in questionnaire._questions.values():
        objects += [question, *question.options]
    return [obj.languages_of(name) for obj in objects for name in obj.texts
            if obj.languages_of(name)]


def parse_definition(data: Any, language: str | None = None) -> Questionnaire:
    """Read a questionnaire definition, refusing anything malformed (``DefinitionError``),
    its texts resolved for a reader of ``language`` (the active language when None).

    Ids are unique across the whole questionnaire; conditions refer only to earlier
    top-level questions; instruments sum whole-number answers and their bands cover every
    possible total; safety rules are conditions like any other. A questionnaire shared
    between people (``audience`` other than individual) says of every section whether its
    answers are private or shared, and nothing shared may hinge on a private answer.
    """
    _require(isinstance(data, dict), "questionnaire", "the file holds one object")
    _known_keys(data, {"slug", "version", "title", "intro", "audience", "sections",
                       "instruments", "safety"}, "questionnaire")
    language = reader_language(language)
    raw_instruments = data.get("instruments", [])
    instrument_ids: set[str] = set()
    if isinstance(raw_instruments, list) and _written_in(data, language):
        instrument_ids = {str(raw.get("id")) for raw in raw_instruments if isinstance(raw, dict)}
    slug = _text(data, "slug", "questionnaire", required=True)
    version = _text(data, "version", "questionnaire", required=True)
    audience = data.get("audience", INDIVIDUAL)
    _require(audience in AUDIENCES, "questionnaire",
             f"'audience' is one of {', '.join(AUDIENCES)}, not {audience!r}")
    # Each top-level question's visibility as the parse goes (for conditions to check).
    visibility_of: dict[str, str] = {}
    questions: dict[str, Question] = {}  # every id, group children included
    top_level: dict[str, Question] = {}  # what conditions, instruments and safety may use
    sections = []
    section_ids: set[str] = set()
    raw_sections = data.get("sections")
    _require(isinstance(raw_sections, list) and raw_sections, "questionnaire",
             "'sections' is a non-empty list")
    for number, raw in enumerate(raw_sections):
        where = f"sections[{number}]"
        _require(isinstance(raw, dict), where, "a section is an object")
        _known_keys(raw, {"id", "title", "intro", "content_note", "condition", "questions",
                          "visibility"}, where)
        section_id = raw.get("id")
        _require(isinstance(section_id, str) and bool(IDENTIFIER.match(section_id))
                 and section_id not in section_ids, where, "'id' is a new lower-case identifier")
        section_ids.add(section_id)
        condition = _condition(raw.get("condition"), where, top_level)
        section_visibility = _visibility(raw, where, audience, required=True) or PRIVATE
        if section_visibility == SHARED:
            _no_shared_clue_to_a_private_answer(where, condition, visibility_of)
        section_questions = []
        raw_questions = raw.get("questions")
        _require(isinstance(raw_questions, list) and raw_questions, where,
                 "a section lists its questions")
        for index, raw_question in enumerate(raw_questions):
            spot = f"{where}.questions[{index}]"
            question = _question(raw_question, spot, top_level, audience=audience,
                                 language=language)
            visibility = question.visibility or section_visibility
            if visibility == SHARED:
                spot = f"{spot} ({question.id})"
                _no_shared_clue_to_a_private_answer(spot, question.condition, visibility_of)
                _no_shared_clue_to_a_private_answer(spot, condition, visibility_of)
            visibility_of[question.id] = visibility
            every_id = [question.id, *(child.id for child in question.questions)]
            for question_id in every_id:
                _require(question_id not in questions, where,
                         f"question id {question_id!r} is used twice")
            questions[question.id] = top_level[question.id] = question
            for child in question.questions:
                questions[child.id] = child
            section_questions.append(question)
        section_questions = _with_language_notes(section_questions, language, instrument_ids)
        for question in section_questions:
            questions[question.id] = top_level[question.id] = question
        text = _Reader(raw, where, language)
        sections.append(Section(
            id=section_id,
            title=text("title", required=True),
            intro=text("intro"),
            content_note=text("content_note"),
            condition=condition,
            questions=tuple(section_questions),
            visibility=section_visibility,
            texts=text.texts,
            language=language,
        ))
    raw_safety = data.get("safety", [])
    _require(isinstance(raw_instruments, list) and isinstance(raw_safety, list),
             "questionnaire", "'instruments' and 'safety' are lists")
    instruments = tuple(
        _instrument(raw, f"instruments[{number}]", top_level, language)
        for number, raw in enumerate(raw_instruments)
    )
    ids = [instrument.id for instrument in instruments]
    _require(len(ids) == len(set(ids)), "instruments", "instrument ids must be unique")
    safety = []
    for number, raw in enumerate(raw_safety):
        _require(raw is not None, f"safety[{number}]", "a safety rule is a condition")
        safety.append(_condition(raw, f"safety[{number}]", top_level))
    text = _Reader(data, "questionnaire", language)
    questionnaire = Questionnaire(
        slug=slug,
        version=version,
        title=text("title", required=True),
        intro=text("intro"),
        sections=tuple(sections),
        instruments=instruments,
        safety=tuple(rule for rule in safety if rule is not None),
        audience=audience,
        _questions=questions,
        texts=text.texts,
        language=language,
    )
    every = _every_text(questionnaire)
    languages = frozenset.intersection(*every) if every else frozenset({DEFAULT_LANGUAGE})
    return replace(questionnaire, languages=languages | {DEFAULT_LANGUAGE})


def top_level_questions(questionnaire: Questionnaire) -> Sequence[Question]:
    return [question for section in questionnaire.sections for question in section.questions]
