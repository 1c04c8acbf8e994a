"""The frozen classes a parsed questionnaire is made of, and the in-person answer.

They sit below both the parser (``intake.schema``, which builds them) and the question types
(``intake.question_types``, which read them), so neither imports the other in a circle.
Everyone else imports them from ``intake.schema``, as before.

Languages: a definition may write any text in several languages (``intake.schema``). A
parsed questionnaire is *resolved* for one reader's language: each text attribute
(``question.label``, ``option.label``, ``section.title``, ...) holds that language's text,
or the default language's where that text has no translation, never a blank. Every object
that holds texts also keeps all of them (``texts``: field name -> language -> text) and the
language it was resolved for (``language``), so that ``text_in`` can read a text in another
language (the FHIR export's translations, scores stored in the default language) and
``language_of`` can say which language a shown text is really in (a page marks English
text in a Spanish page, and says why). Each resolved text is itself a
``portal.i18n.texts.LangText``: a ``str`` carrying its language (``.lang``), which the
``portal_lang`` template filters turn into a ``lang`` attribute wherever it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext

from portal.i18n.texts import LangText

IN_PERSON = "in_person"


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation (``makemessages`` finds the name) without touching
    Django's settings: this module is imported before settings exist (the load generator,
    ``evidence.plan``), where Django's own ``gettext_noop`` raises."""
    return message


# The English words, marked for translation: read them through ``gettext`` when writing a
# page, an answer or an export (``in_person_label``), in the reader's language.
IN_PERSON_LABEL = gettext_noop("I'd rather talk about this in person")
# The language every definition is written in first: every text has it, and a text with
# no translation into the reader's language is shown in it.
DEFAULT_LANGUAGE = "en"
# A language tag as a definition writes it: "en", "es", "es-419", "pt-br".
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
# What an id (of a question, section, instrument or option value) looks like.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

# Who fills in a questionnaire, and so who else may read some of its answers. An
# "individual" questionnaire (the default) is one person's, read by their care team only;
# the others are filled in by each person of a couple, family or an adolescent with
# guardians, and every section says whether its answers are shared with those others.
INDIVIDUAL = "individual"
AUDIENCES = (INDIVIDUAL, "couple", "family", "adolescent")
PRIVATE = "private"
SHARED = "shared"
VISIBILITIES = (PRIVATE, SHARED)


class DefinitionError(ValueError):
    """The questionnaire file is malformed; the message names where."""


def in_person_label() -> str:
    """"I'd rather talk about this in person", in the language being written now."""
    return gettext(IN_PERSON_LABEL)


def active_language() -> str:
    """The language of the page, email or export being written now (Django's active
    language), else the default; the default too where Django is not set up (a script)."""
    try:
        from django.utils import translation

        language = translation.get_language()
    except Exception:  # settings not configured: a process that reads definitions only
        language = None
    return (language or DEFAULT_LANGUAGE).lower()


def resolved(texts: Mapping[str, str], language: str) -> LangText:
    """The text for a reader of ``language``: theirs when written, else the default's,
    knowing which it is (``LangText.lang``), so a page marks English shown to a Spanish
    reader with ``lang="en"``."""
    if language in texts:
        return LangText(texts[language], language)
    return LangText(texts[DEFAULT_LANGUAGE], DEFAULT_LANGUAGE)


# Field name -> language -> text: every text an object holds, in every language written.
Texts = Mapping[str, Mapping[str, str]]


def _no_texts() -> dict[str, dict[str, str]]:
    return {}


class Localized:
    """What every object holding texts answers about their languages (see the module's
    docstring). ``texts`` is empty for an object built by hand: its texts are then taken
    to be in the default language."""

    texts: Texts
    language: str

    def text_in(self, name: str, language: str) -> str | None:
        """The text ``name`` (``"label"``, ``"title"``...) as written in ``language``, or
        None when the definition has no text for it in that language."""
        return (self.texts.get(name) or {}).get(language)

    def language_of(self, name: str) -> str:
        """The language the shown text ``name`` is in: the reader's when written in it,
        else the default."""
        written = self.texts.get(name) or {}
        return self.language if self.language in written else DEFAULT_LANGUAGE

    def languages_of(self, name: str) -> frozenset[str]:
        """Every language the text ``name`` is written in (empty for a blank text)."""
        return frozenset(language for language, text in (self.texts.get(name) or {}).items()
                         if text.strip())


@dataclass(frozen=True)
class Option(Localized):
    value: str | int
    label: str
    texts: Texts = field(default_factory=_no_texts, compare=False, repr=False)
    language: str = field(default=DEFAULT_LANGUAGE, compare=False, repr=False)


@dataclass(frozen=True)
class Condition:
    """Show something only when an earlier answer matches."""

    question: str
    equals: Any = None
    one_of: tuple[Any, ...] = ()
    answered: bool = False

    def holds(self, answers: Mapping[str, Any]) -> bool:
        value = answers.get(self.question)
        if self.answered:
            return value not in (None, "", [])
        if self.one_of:
            if isinstance(value, list):
                return any(item in self.one_of for item in value)
            return value in self.one_of
        if isinstance(value, list):
            return self.equals in value
        return value == self.equals


# Why a question is shown in the default language to a reader of another one (the first
# question of each such run on a page says so, ``Question.language_note``):
# our own questions, not (yet) written in the reader's language (a version written before
# it was offered);
UNTRANSLATED_QUESTIONS = "questions"
# a published instrument with no official translation into it (never a home-made one).
UNTRANSLATED_INSTRUMENT = "instrument"


@dataclass(frozen=True)
class Question(Localized):
    id: str
    type: str  # the name of its type in the registry (intake.question_types)
    label: str
    help: str = ""
    why: str = ""
    required: bool = False
    sensitive: bool = False
    options: tuple[Option, ...] = ()
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    not_future: bool = False
    max_items: int | None = None
    condition: Condition | None = None
    questions: tuple[Question, ...] = ()
    # Only where a top-level question differs from its section ("private" inside a shared
    # section, or the reverse); None takes the section's.
    visibility: str | None = None
    texts: Texts = field(default_factory=_no_texts, compare=False, repr=False)
    language: str = field(default=DEFAULT_LANGUAGE, compare=False, repr=False)
    # "" or, on the first of a run of questions shown in the default language to a reader
    # of another one, why: ``UNTRANSLATED_QUESTIONS`` or ``UNTRANSLATED_INSTRUMENT``.
    language_note: str = field(default="", compare=False)

    @property
    def label_language(self) -> str:
        """The language the question's label (and so the question) is shown in."""
        return self.language_of("label")

    def option_values(self) -> tuple[str | int, ...]:
        return tuple(option.value for option in self.options)


@dataclass(frozen=True)
class Section(Localized):
    id: str
    title: str
    questions: tuple[Question, ...]
    intro: str = ""
    content_note: str = ""
    condition: Condition | None = None
    # Who besides the person and their care team reads this section's answers: "private"
    # (no one) or "shared" (the other people of the case). Always private for individuals.
    visibility: str = PRIVATE
    texts: Texts = field(default_factory=_no_texts, compare=False, repr=False)
    language: str = field(default=DEFAULT_LANGUAGE, compare=False, repr=False)


@dataclass(frozen=True)
class Band(Localized):
    minimum: int
    maximum: int
    label: str
    texts: Texts = field(default_factory=_no_texts, compare=False, repr=False)
    language: str = field(default=DEFAULT_LANGUAGE, compare=False, repr=False)

    @property
    def default_label(self) -> str:
        """The band's name in the default language: what a stored score keeps, so that
        what is stored does not depend on the language of whoever answered."""
        return self.text_in("label", DEFAULT_LANGUAGE) or self.label


@dataclass(frozen=True)
class Instrument(Localized):
    """A scored scale (PHQ-9, GAD-7, CSI-4): the sum of its items' whole-number answers,
    and its bands, which cover ``min_total`` to ``max_total`` exactly once. The parser
    works the range out from the items' options (the lowest and highest value of each);
    0 to 3 per item when built by hand."""

    id: str
    title: str
    attribution: str
    items: tuple[str, ...]
    bands: tuple[Band, ...]
    # What the score means, in a sentence for staff, shown beside it ("" when none).
    interpretation: str = ""
    item_ranges: tuple[tuple[int, int], ...] = ()
    # The instrument file's version these items and bands come from ("" when written out
    # in the questionnaire: version 1 of each instrument, as every version 1 carried).
    version: str = ""
    texts: Texts = field(default_factory=_no_texts, compare=False, repr=False)
    language: str = field(default=DEFAULT_LANGUAGE, compare=False, repr=False)

    def band_for(self, total: int) -> Band | None:
        """The band ``total`` falls in, or None outside the scale."""
        return next((b for b in self.bands if b.minimum <= total <= b.maximum), None)

    def ranges(self) -> tuple[tuple[int, int], ...]:
        """Each item's lowest and highest score, in item order."""
        return self.item_ranges or tuple((0, 3) for _ in self.items)

    @property
    def min_total(self) -> int:
        return sum(low for low, _ in self.ranges())

    @property
    def max_total(self) -> int:
        return sum(high for _, high in self.ranges())


@dataclass(frozen=True)
class Questionnaire(Localized):
    slug: str
    version: str
    title: str
    sections: tuple[Section, ...]
    intro: str = ""
    instruments: tuple[Instrument, ...] = ()
    safety: tuple[Condition, ...] = ()
    audience: str = INDIVIDUAL
    _questions: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)
    texts: Texts = field(default_factory=_no_texts, compare=False, repr=False)
    language: str = field(default=DEFAULT_LANGUAGE, compare=False, repr=False)
    # The languages every text of the questionnaire is written in (the default at least).
    languages: frozenset[str] = field(default=frozenset({DEFAULT_LANGUAGE}), compare=False)

    def is_written_in(self, language: str) -> bool:
        """Whether every text (ours and every instrument's) is written in ``language``."""
        return language in self.languages

    def question(self, question_id: str) -> Question:
        return self._questions[question_id]

    def has_question(self, question_id: str) -> bool:
        return question_id in self._questions

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    @property
    def is_shared_between_people(self) -> bool:
        """Filled in by each person of a couple, family or adolescent with guardians, so
        some answers may be read by the others (not an individual questionnaire)."""
        return self.audience != INDIVIDUAL

    def visibility_of(self, question_id: str) -> str:
        """``"shared"`` when the other people of the case may read this question's answer,
        else ``"private"`` (only the person and their care team). Always private on an
        individual questionnaire; a question inside a group has its group's. An unknown id
        is a ``KeyError``, never a guess."""
        for section in self.sections:
            for question in section.questions:
                ids = {question.id, *(child.id for child in question.questions)}
                if question_id in ids:
                    return self._effective_visibility(section, question)
        raise KeyError(question_id)

    def _effective_visibility(self, section: Section, question: Question) -> str:
        if not self.is_shared_between_people:
            return PRIVATE
        return question.visibility or section.visibility

    def shared_question_ids(self) -> frozenset[str]:
        """The top-level questions (the keys of an answers dict) whose answers the other
        people of the case may read; empty for an individual questionnaire. A group's
        entries go with their group's id."""
        return frozenset(
            question.id
            for section in self.sections
            for question in section.questions
            if self._effective_visibility(section, question) == SHARED
        )
