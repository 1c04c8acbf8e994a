"""What a draft changes, compared with the version it is based on: pure functions on two
questionnaire sources (as written, instrument blocks as references), no database.

``questionnaire_diff(old, new)`` says, per section and question, what was added, removed,
reworded (each text per language, word by word: ``WordPiece`` runs of kept, inserted and
deleted words), moved (to another section, or to another place in its section), and which
options, conditions and settings changed. An instrument block (``{"instrument": "phq9"}``)
is one item, named ``instrument:<slug>``: it is inserted or removed whole, never edited.
The page turns the codes here into words.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

# The texts a questionnaire, a section or a question may have, in the order shown.
QUESTIONNAIRE_TEXTS = ("title", "intro")
SECTION_TEXTS = ("title", "intro", "content_note")
QUESTION_TEXTS = ("label", "help", "why")
# Keys not compared as settings (texts, options, conditions, and the id itself).
_NOT_SETTINGS = {"id", "options", "condition", *QUESTION_TEXTS, *SECTION_TEXTS}
DEFAULT_LANGUAGE = "en"

Status = Literal["added", "removed", "changed", "same"]
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class WordPiece:
    """A run of words kept (``same``), inserted (``ins``) or deleted (``del``)."""

    kind: Literal["same", "ins", "del"]
    text: str


@dataclass(frozen=True)
class TextChange:
    """One text (``field``: label, help, title, ...) in one language, old and new, word by
    word."""

    field: str
    language: str
    old: str
    new: str
    pieces: tuple[WordPiece, ...]


@dataclass(frozen=True)
class OptionChange:
    """An option added, removed or relabelled (``texts`` say how, per language)."""

    status: Literal["added", "removed", "changed"]
    value: str
    label: str
    texts: tuple[TextChange, ...] = ()


@dataclass(frozen=True)
class ItemDiff:
    """A question (or instrument block, or section) and what changed about it."""

    id: str
    status: Status
    label: str  # its label (title for a section) in the default language, new if any
    moved: bool = False  # to another place among its neighbours
    moved_from: str = ""  # a question: the section it was in, if it changed section
    texts: tuple[TextChange, ...] = ()
    options: tuple[OptionChange, ...] = ()
    condition_changed: bool = False
    old_condition: Mapping[str, Any] | None = None
    new_condition: Mapping[str, Any] | None = None
    settings: tuple[str, ...] = ()  # the names of other keys that changed
    questions: tuple[ItemDiff, ...] = ()  # a section's questions

    @property
    def changed(self) -> bool:
        return (self.status != "same" or self.moved or bool(self.moved_from)
                or any(q.changed for q in self.questions))

    @property
    def is_instrument(self) -> bool:
        return self.id.startswith("instrument:")


@dataclass(frozen=True)
class QuestionnaireDiff:
    texts: tuple[TextChange, ...] = ()
    sections: tuple[ItemDiff, ...] = field(default_factory=tuple)
    settings: tuple[str, ...] = ()  # other top-level keys: audience, instruments, safety

    @property
    def changed(self) -> bool:
        return bool(self.texts or self.settings or any(s.changed for s in self.sections))


# --- Words -------------------------------------------------------------------------------


def word_pieces(old: str, new: str) -> tuple[WordPiece, ...]:
    """``old`` turned into ``new`` word by word (spaces and punctuation are tokens of their
    own, so a changed comma does not mark the whole word)."""
    before, after = _TOKENS.findall(old), _TOKENS.findall(new)
    pieces: list[WordPiece] = []

    def add(kind: Literal["same", "ins", "del"], tokens: Sequence[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if pieces and pieces[-1].kind == kind:
            pieces[-1] = WordPiece(kind, pieces[-1].text + text)
        else:
            pieces.append(WordPiece(kind, text))

    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("same", before[i1:i2])
        else:
            add("del", before[i1:i2])
            add("ins", after[j1:j2])
    return tuple(pieces)


def _per_language(text: Any) -> dict[str, str]:
    """A text as written (a string: the default language's; or ``{"en": ..., ...}``)."""
    if isinstance(text, str):
        return {DEFAULT_LANGUAGE: text}
    if isinstance(text, dict):
        return {str(code): value for code, value in text.items() if isinstance(value, str)}
    return {}


def text_in(text: Any, language: str = DEFAULT_LANGUAGE) -> str:
    """``text`` in ``language``, falling back to the default language."""
    written = _per_language(text)
    return written.get(language) or written.get(DEFAULT_LANGUAGE, "")


def _language_order(code: str) -> tuple[int, str]:
    return (0 if code == DEFAULT_LANGUAGE else 1, code)


def text_changes(old: Mapping[str, Any], new: Mapping[str, Any],
                 fields: Sequence[str]) -> tuple[TextChange, ...]:
    """Each text of ``fields`` that differs, per language written in either."""
    changes = []
    for name in fields:
        before, after = _per_language(old.get(name)), _per_language(new.get(name))
        for code in sorted(set(before) | set(after), key=_language_order):
            if before.get(code, "") != after.get(code, ""):
                changes.append(TextChange(name, code, before.get(code, ""),
                                          after.get(code, ""),
                                          word_pieces(before.get(code, ""),
                                                      after.get(code, ""))))
    return tuple(changes)


# --- Items -------------------------------------------------------------------------------


def item_id(question: Any) -> str:
    """A question's id, or ``instrument:<slug>`` for an instrument block."""
    if isinstance(question, dict):
        if "instrument" in question and "id" not in question:
            return f"instrument:{question.get('instrument')}"
        return str(question.get("id", ""))
    return ""


def _dicts(items: Any) -> list[dict[str, Any]]:
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _moved(old_order: Sequence[str], new_order: Sequence[str]) -> set[str]:
    """The ids kept in both orders that are out of the longest run kept in order: what
    was moved (the rest stayed, whatever was added or removed around them)."""
    common = set(old_order) & set(new_order)
    before = [i for i in old_order if i in common]
    after = [i for i in new_order if i in common]
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    stayed = {before[block.a + k] for block in matcher.get_matching_blocks()
              for k in range(block.size)}
    return common - stayed


def _options(old: dict[str, Any], new: dict[str, Any]) -> tuple[OptionChange, ...]:
    before = {str(o.get("value")): o for o in _dicts(old.get("options"))}
    after = {str(o.get("value")): o for o in _dicts(new.get("options"))}
    changes = []
    for value, option in after.items():
        if value not in before:
            changes.append(OptionChange("added", value, text_in(option.get("label"))))
        else:
            texts = text_changes(before[value], option, ("label",))
            if texts:
                changes.append(OptionChange("changed", value, text_in(option.get("label")),
                                            texts))
    changes.extend(OptionChange("removed", value, text_in(option.get("label")))
                   for value, option in before.items() if value not in after)
    return tuple(changes)


def _settings(old: dict[str, Any], new: dict[str, Any], ignore: set[str]) -> tuple[str, ...]:
    keys = (set(old) | set(new)) - ignore
    return tuple(sorted(key for key in keys if old.get(key) != new.get(key)))


def question_diff(old: dict[str, Any] | None, new: dict[str, Any] | None, *,
                  moved: bool = False, moved_from: str = "") -> ItemDiff:
    """One question compared (``old`` None: added; ``new`` None: removed)."""
    if old is None or new is None:
        present = new if new is not None else old or {}
        return ItemDiff(item_id(present), "added" if old is None else "removed",
                        _label(present), new_condition=(present.get("condition")
                                                        if old is None else None))
    texts = text_changes(old, new, QUESTION_TEXTS)
    options = _options(old, new)
    condition_changed = old.get("condition") != new.get("condition")
    settings = _settings(old, new, _NOT_SETTINGS)
    status: Status = "changed" if (texts or options or condition_changed or settings) \
        else "same"
    return ItemDiff(item_id(new), status, _label(new), moved=moved, moved_from=moved_from,
                    texts=texts, options=options, condition_changed=condition_changed,
                    old_condition=old.get("condition"), new_condition=new.get("condition"),
                    settings=settings)


def _label(question: dict[str, Any]) -> str:
    if "instrument" in question and "id" not in question:
        return str(question.get("instrument", ""))
    return text_in(question.get("label") or question.get("title")) or item_id(question)


def _questions_by_section(source: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each question id: the id of its section and the question."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for section in _dicts(source.get("sections")):
        for question in _dicts(section.get("questions")):
            found.setdefault(item_id(question), (str(section.get("id", "")), question))
    return found


def section_diff(old: dict[str, Any] | None, new: dict[str, Any] | None, *,
                 old_questions: Mapping[str, tuple[str, dict[str, Any]]],
                 new_questions: Mapping[str, tuple[str, dict[str, Any]]],
                 moved: bool = False) -> ItemDiff:
    """One section compared, with its questions (those it has now, then those removed
    from it that are nowhere now)."""
    present = new if new is not None else old or {}
    section_id = str(present.get("id", ""))
    questions: list[ItemDiff] = []
    if new is not None:
        here = [item_id(q) for q in _dicts(new.get("questions"))]
        before = [item_id(q) for q in _dicts(old.get("questions"))] if old is not None else []
        reordered = _moved(before, here)
        for question in _dicts(new.get("questions")):
            qid = item_id(question)
            earlier = old_questions.get(qid)
            if earlier is None:
                questions.append(question_diff(None, question))
                continue
            came_from = earlier[0] if earlier[0] != section_id else ""
            questions.append(question_diff(earlier[1], question, moved=qid in reordered,
                                           moved_from=came_from))
    if old is not None:
        questions.extend(question_diff(question, None)
                         for question in _dicts(old.get("questions"))
                         if item_id(question) not in new_questions)
    title = text_in(present.get("title")) or section_id
    if old is None or new is None:
        return ItemDiff(section_id, "added" if old is None else "removed", title,
                        questions=tuple(questions))
    texts = text_changes(old, new, SECTION_TEXTS)
    condition_changed = old.get("condition") != new.get("condition")
    settings = _settings(old, new, {*_NOT_SETTINGS, "questions"})
    status: Status = "changed" if (texts or condition_changed or settings) else "same"
    return ItemDiff(section_id, status, title, moved=moved, texts=texts,
                    condition_changed=condition_changed, old_condition=old.get("condition"),
                    new_condition=new.get("condition"), settings=settings,
                    questions=tuple(questions))


def questionnaire_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> QuestionnaireDiff:
    """What ``new`` changes compared with ``old`` (two sources as written)."""
    old_sections = {str(s.get("id", "")): s for s in _dicts(old.get("sections"))}
    new_sections = _dicts(new.get("sections"))
    new_ids = {str(s.get("id", "")) for s in new_sections}
    old_questions, new_questions = _questions_by_section(old), _questions_by_section(new)
    reordered = _moved(list(old_sections), [str(s.get("id", "")) for s in new_sections])
    sections = [section_diff(old_sections.get(str(s.get("id", ""))), s,
                             old_questions=old_questions, new_questions=new_questions,
                             moved=str(s.get("id", "")) in reordered)
                for s in new_sections]
    sections.extend(section_diff(s, None, old_questions=old_questions,
                                 new_questions=new_questions)
                    for sid, s in old_sections.items() if sid not in new_ids)
    settings = _settings(dict(old), dict(new),
                         {"sections", "slug", "version", *QUESTIONNAIRE_TEXTS})
    return QuestionnaireDiff(texts=text_changes(old, new, QUESTIONNAIRE_TEXTS),
                             sections=tuple(sections), settings=settings)
