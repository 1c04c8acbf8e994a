"""A questionnaire's source as a FHIR R4 ``Questionnaire`` and back: how a practice brings
forms from other tools, and takes its own elsewhere.

``to_fhir(source, slug=, version=, title=)`` writes a source (as stored on a
``QuestionnaireVersion``: instrument blocks as references) as a ``Questionnaire`` resource;
``from_fhir(resource)`` reads one back as a source for a draft. Both are pure, and both check
the resource with the ``fhir.resources`` R4B model (R4B keeps R4's Questionnaire): invalid
input is refused with ``FhirImportError``, naming the item.

The round trip is exact: ``from_fhir(to_fhir(source, ...)) == source`` for every source the
strict parser accepts (the shipped questionnaires, their history, and the edge cases in
``tests/intake/test_builder_fhir.py``), keys present with their default value included.

Mapping, in short:

* the questionnaire: ``name`` = slug, ``version``, ``title`` (+ translations on ``_title``),
  ``status`` active; intro, audience, the instrument scales (``{"ref": slug}`` or written
  out) and the safety rules in portal extensions;
* each section is a top-level ``group`` item (``linkId`` = its id), its intro, content note
  and visibility in portal extensions, its condition as ``enableWhen``;
* each question an item with ``linkId`` = its id, ``text`` = its label in the default
  language, each other language in the standard translation extension on ``_text``;
  ``short_text`` -> ``string``, ``long_text`` -> ``text``, ``single_choice`` -> ``choice``,
  ``multiple_choice`` -> ``choice`` with ``repeats``, ``yes_no`` -> ``boolean``, ``date``,
  ``number`` -> ``integer`` (range in the standard ``minValue``/``maxValue`` extensions),
  ``group`` -> a repeating ``group`` (``max_items`` in ``questionnaire-maxOccurs``),
  ``frequency`` -> ``choice`` marked as such; ``required``, ``maxLength``; options as
  ``answerOption`` (``valueCoding`` code/display, or ``valueInteger`` with its label in an
  extension); conditions as ``enableWhen`` (``equals``: one, ``in``: several with
  ``enableBehavior`` any, ``answered``: operator ``exists``);
* an instrument block (``{"instrument": "phq9"}``) is a ``display`` item marked with the
  instrument's slug (its questions are the shipped instrument's, written out on publishing);
* everything else (help, why, sensitive, visibility, not_future, ...) is a portal extension
  under ``EXTENSION_BASE``; a ``keys`` extension lists the keys the source object had, so
  empty texts and explicit defaults come back as written.

A resource from another tool (no portal extensions) becomes plain questions: ``choice`` ->
``single_choice`` (``multiple_choice`` when it repeats), ``string``, ``text``, ``boolean``,
``date``, ``integer``; ids and option codes that are not lower-case identifiers are made
into ones. Item types the portal cannot ask (``open-choice``, ``decimal``, ``attachment``,
...) are refused, naming the item. What the result still lacks (a number's range, two
options) the draft's checks name, as for any draft.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from pydantic import ValidationError

from intake.schema_classes import DEFAULT_LANGUAGE, IDENTIFIER, IN_PERSON

# Every portal extension's URL starts with this (defined once).
EXTENSION_BASE = "https://intake-portal.example.org/fhir/StructureDefinition/"
FHIR_EXTENSION = "http://hl7.org/fhir/StructureDefinition/"
TRANSLATION = f"{FHIR_EXTENSION}translation"
MAX_OCCURS = f"{FHIR_EXTENSION}questionnaire-maxOccurs"
MIN_VALUE = f"{FHIR_EXTENSION}minValue"
MAX_VALUE = f"{FHIR_EXTENSION}maxValue"

# A Questionnaire's status (R4's publication-status value set).
STATUSES = ("draft", "active", "retired", "unknown")
# The deepest item nesting a portal questionnaire has: section, group, question.
MAX_DEPTH = 3


def portal_url(name: str) -> str:
    """The URL of the portal extension ``name``."""
    return f"{EXTENSION_BASE}{name}"


KEYS = portal_url("keys")
LANGUAGES = portal_url("languages")
INSTRUMENT = portal_url("instrument")
INSTRUMENT_VERSION = portal_url("instrument-version")
SCALE = portal_url("scale")
SAFETY = portal_url("safety")
QUESTION_TYPE = portal_url("question-type")
SECTION_ID = portal_url("section-id")
OPTION_LABEL = portal_url("option-label")

# The texts a question, section or questionnaire keeps in extensions (not in ``text``).
QUESTION_TEXTS = ("help", "why")
SECTION_TEXTS = ("intro", "content_note")
# Plain values kept in extensions: key -> the FHIR value type.
QUESTION_FLAGS = {"sensitive": "valueBoolean", "not_future": "valueBoolean",
                  "visibility": "valueCode"}

_ITEM_TYPE = {"short_text": "string", "long_text": "text", "single_choice": "choice",
              "multiple_choice": "choice", "frequency": "choice", "yes_no": "boolean",
              "date": "date", "number": "integer", "group": "group"}
_FOREIGN_TYPE = {"string": "short_text", "text": "long_text", "choice": "single_choice",
                 "boolean": "yes_no", "date": "date", "integer": "number"}
# A foreign number question without a range gets this one (the draft can narrow it).
FOREIGN_RANGE = (0, 1_000_000)
FOREIGN_MAX_ITEMS = 10


class FhirImportError(ValueError):
    """The resource is not a FHIR R4 Questionnaire the portal can read (the message says
    which item, and what is wrong)."""


# --- Writing ----------------------------------------------------------------------------


def _extension(name_or_url: str, **value: Any) -> dict[str, Any]:
    url = name_or_url if ":" in name_or_url else portal_url(name_or_url)
    return {"url": url, **value}


def _keys(data: Mapping[str, Any]) -> dict[str, Any]:
    return _extension(KEYS, valueString=" ".join(data))


def _core_text(value: Any, element: str) -> dict[str, Any]:
    """A text written in a core element (``text``, ``title``, ``display``): the default
    language's in the element, each other language as a translation on ``_element``; a
    text written per language also lists its languages (order, blanks)."""
    if isinstance(value, str):
        return {element: value} if value else {}
    written: dict[str, Any] = {}
    if value.get(DEFAULT_LANGUAGE):
        written[element] = value[DEFAULT_LANGUAGE]
    extensions = [
        {"url": TRANSLATION, "extension": [{"url": "lang", "valueCode": language},
                                           {"url": "content", "valueString": text}]}
        for language, text in value.items() if language != DEFAULT_LANGUAGE and text
    ]
    extensions.append(_extension(LANGUAGES, valueString=" ".join(value)))
    written[f"_{element}"] = {"extension": extensions}
    return written


def _text_extension(name: str, value: Any) -> dict[str, Any] | None:
    """A text kept in a portal extension: ``valueString``, or per language (a complex
    extension: one ``valueString`` per language, and the languages in order)."""
    if isinstance(value, str):
        return _extension(name, valueString=value) if value else None
    parts = [{"url": language, "valueString": text} for language, text in value.items() if text]
    parts.append({"url": "languages", "valueString": " ".join(value)})
    return _extension(name, extension=parts)


def _condition_answer(value: Any, target: Mapping[str, Any] | None,
                      slug: str) -> dict[str, Any]:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"a condition value {value!r} cannot be written in FHIR")
    kind = (target or {}).get("type")
    if kind == "yes_no" and value in ("yes", "no"):
        return {"answerBoolean": value == "yes"}
    if isinstance(value, int):
        return {"answerInteger": value}
    if kind in ("single_choice", "multiple_choice", "frequency", "yes_no") or value == IN_PERSON:
        return {"answerCoding": {"system": _system(slug, str((target or {}).get("id"))),
                                 "code": value}}
    return {"answerString": value}


def _system(slug: str, question_id: str) -> str:
    return f"urn:portal:questionnaire:{slug}:{question_id}"


def _enable_when(condition: Any, questions: Mapping[str, Mapping[str, Any]],
                 slug: str) -> dict[str, Any]:
    if condition is None:
        return {}
    target_id = condition["question"]
    target = questions.get(target_id)
    if "answered" in condition:
        return {"enableWhen": [{"question": target_id, "operator": "exists",
                                "answerBoolean": True}]}
    if "in" in condition:
        return {"enableWhen": [{"question": target_id, "operator": "=",
                                **_condition_answer(value, target, slug)}
                               for value in condition["in"]],
                "enableBehavior": "any"}
    return {"enableWhen": [{"question": target_id, "operator": "=",
                            **_condition_answer(condition["equals"], target, slug)}]}


def _option(option: Mapping[str, Any], slug: str, question_id: str) -> dict[str, Any]:
    value, label = option["value"], option["label"]
    if isinstance(value, int) and not isinstance(value, bool):
        written: dict[str, Any] = {"valueInteger": value}
        extension = _text_extension("option-label", label)
        if extension is not None:
            written["extension"] = [extension]
        return written
    coding = {"system": _system(slug, question_id), "code": value,
              **_core_text(label, "display")}
    return {"valueCoding": coding}


def _question_item(question: Mapping[str, Any], questions: Mapping[str, Mapping[str, Any]],
                   slug: str) -> dict[str, Any]:
    if "instrument" in question:
        block = [_extension(INSTRUMENT, valueString=question["instrument"])]
        if "version" in question:
            block.append(_extension(INSTRUMENT_VERSION, valueString=question["version"]))
        return {"linkId": f"instrument:{question['instrument']}", "type": "display",
                "text": question["instrument"], "extension": block}
    kind = question["type"]
    extensions: list[dict[str, Any]] = [_keys(question)]
    if kind == "frequency":
        extensions.append(_extension(QUESTION_TYPE, valueCode=kind))
    for name in QUESTION_TEXTS:
        if name in question:
            text = _text_extension(name, question[name])
            if text is not None:
                extensions.append(text)
    for name, value_type in QUESTION_FLAGS.items():
        if name in question:
            extensions.append(_extension(name, **{value_type: question[name]}))
    if "min_value" in question:
        extensions.append({"url": MIN_VALUE, "valueInteger": question["min_value"]})
    if "max_value" in question:
        extensions.append({"url": MAX_VALUE, "valueInteger": question["max_value"]})
    if "max_items" in question:
        extensions.append({"url": MAX_OCCURS, "valueInteger": question["max_items"]})
    item: dict[str, Any] = {"extension": extensions, "linkId": question["id"],
                            **_core_text(question["label"], "text"),
                            "type": _ITEM_TYPE.get(kind, kind)}
    item.update(_enable_when(question.get("condition"), questions, slug))
    if "required" in question:
        item["required"] = question["required"]
    if kind in ("multiple_choice", "group"):
        item["repeats"] = True
    if "max_length" in question:
        item["maxLength"] = question["max_length"]
    if "options" in question:
        item["answerOption"] = [_option(option, slug, question["id"])
                                for option in question["options"]]
    if "questions" in question:
        item["item"] = [_question_item(child, questions, slug)
                        for child in question["questions"]]
    return item


def _section_item(section: Mapping[str, Any], questions: Mapping[str, Mapping[str, Any]],
                  slug: str) -> dict[str, Any]:
    extensions: list[dict[str, Any]] = [_keys(section)]
    link_id = section["id"]
    if link_id in questions:  # a section may share its id with a question: not a linkId
        link_id = f"section:{link_id}"
        extensions.append(_extension(SECTION_ID, valueString=section["id"]))
    for name in SECTION_TEXTS:
        if name in section:
            text = _text_extension(name, section[name])
            if text is not None:
                extensions.append(text)
    if "visibility" in section:
        extensions.append(_extension("visibility", valueCode=section["visibility"]))
    item: dict[str, Any] = {"extension": extensions, "linkId": link_id,
                            **_core_text(section["title"], "text"), "type": "group"}
    item.update(_enable_when(section.get("condition"), questions, slug))
    item["item"] = [_question_item(question, questions, slug)
                    for question in section["questions"]]
    return item


def _every_question(source: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for section in source.get("sections", []):
        for question in section.get("questions", []):
            if "id" in question:
                found[question["id"]] = question
                for child in question.get("questions", []):
                    found.setdefault(child["id"], child)
    return found


def to_fhir(source: Mapping[str, Any], *, slug: str, version: str,
            title: str | None = None) -> dict[str, Any]:
    """The FHIR R4 ``Questionnaire`` for ``source`` (a questionnaire as written, instrument
    blocks as references), published as ``slug`` ``version``. ``title`` replaces the
    default language's title when given (its translations stay). Practice data only: no
    personal data is in a questionnaire. Raises ``ValueError`` for a source that cannot be
    written (it was not checked by the parser)."""
    questions = _every_question(source)
    source_title: Any = source.get("title", "")
    if title:
        source_title = ({**source_title, DEFAULT_LANGUAGE: title}
                        if isinstance(source_title, dict) else title)
    extensions: list[dict[str, Any]] = [_keys(source)]
    if "intro" in source:
        intro = _text_extension("intro", source["intro"])
        if intro is not None:
            extensions.append(intro)
    if "audience" in source:
        extensions.append(_extension("audience", valueCode=source["audience"]))
    for entry in source.get("instruments", []):
        extensions.append(_extension(SCALE, valueString=json.dumps(entry, ensure_ascii=False)))
    for rule in source.get("safety", []):
        extensions.append(_extension(SAFETY, valueString=json.dumps(rule, ensure_ascii=False)))
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "extension": extensions,
        "language": DEFAULT_LANGUAGE,
        "version": version,
        "name": slug,
        **_core_text(source_title, "title"),
        "status": "active",
        "subjectType": ["Patient"],
        "item": [_section_item(section, questions, slug)
                 for section in source.get("sections", [])],
    }
    validate(resource)
    return resource


# --- Reading ----------------------------------------------------------------------------


def validate(resource: Any) -> None:
    """Refuse (``FhirImportError``) anything that is not a valid FHIR R4 ``Questionnaire``
    as the R4B model reads it, or whose items are nested deeper than a questionnaire's, or
    whose ``linkId``s repeat."""
    if not isinstance(resource, dict):
        raise FhirImportError("The file holds no FHIR resource (a JSON object).")
    if resource.get("resourceType") != "Questionnaire":
        raise FhirImportError(
            f"The resource is a {str(resource.get('resourceType'))[:40]!r}, not a "
            "Questionnaire.")
    if resource.get("status") not in STATUSES:
        raise FhirImportError(
            "This is not a valid FHIR R4 Questionnaire: its status must be one of "
            f"{', '.join(STATUSES)}.")
    _check_items(resource.get("item"), "", 1, set())
    try:
        FhirQuestionnaire.model_validate(resource)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise FhirImportError(
            f"This is not a valid FHIR R4 Questionnaire: {where}: {first.get('msg')}"
        ) from None
    except (RecursionError, ValueError, TypeError) as error:
        raise FhirImportError(f"This is not a valid FHIR R4 Questionnaire: {error}") from None


def _check_items(items: Any, where: str, depth: int, seen: set[str]) -> None:
    if items is None:
        return
    if not isinstance(items, list):
        raise FhirImportError(f"{where or 'The questionnaire'}: 'item' must be a list.")
    for number, item in enumerate(items):
        spot = f"{where}item[{number}]"
        if not isinstance(item, dict):
            raise FhirImportError(f"{spot}: an item is an object.")
        link_id = item.get("linkId")
        name = f"{spot} ({str(link_id)[:64]})"
        if depth > MAX_DEPTH and item:
            raise FhirImportError(
                f"{name}: items are nested too deeply (a section, a group and its "
                "questions at most).")
        if isinstance(link_id, str):
            if link_id in seen:
                raise FhirImportError(f"{name}: the linkId {link_id[:64]!r} is used twice.")
            seen.add(link_id)
        _check_items(item.get("item"), f"{spot}.", depth + 1, seen)


def _portal(extensions: Iterable[Mapping[str, Any]], url: str) -> Mapping[str, Any] | None:
    for extension in extensions:
        if extension.get("url") == (url if ":" in url else portal_url(url)):
            return extension
    return None


def _every(extensions: Iterable[Mapping[str, Any]], url: str) -> list[Mapping[str, Any]]:
    return [extension for extension in extensions if extension.get("url") == url]


def _read_core_text(data: Mapping[str, Any], element: str) -> Any:
    value = data.get(element) or ""
    extensions = (data.get(f"_{element}") or {}).get("extension") or []
    translations: dict[str, str] = {}
    for extension in _every(extensions, TRANSLATION):
        parts = {part.get("url"): part for part in extension.get("extension") or []}
        language = (parts.get("lang") or {}).get("valueCode")
        content = (parts.get("content") or {}).get("valueString")
        if isinstance(language, str) and isinstance(content, str):
            translations[language.lower()] = content
    languages = _portal(extensions, LANGUAGES)
    if languages is not None:
        order = str(languages.get("valueString", "")).split()
        return {language: value if language == DEFAULT_LANGUAGE
                else translations.get(language, "") for language in order}
    if translations:
        return {DEFAULT_LANGUAGE: value, **translations}
    return value


def _read_text_extension(extension: Mapping[str, Any] | None) -> Any:
    if extension is None:
        return ""
    if "valueString" in extension:
        return extension["valueString"]
    parts = {part.get("url"): part.get("valueString", "")
             for part in extension.get("extension") or []}
    order = str(parts.pop("languages", "") or "").split()
    return {language: parts.get(language, "") for language in order}


class _Reader:
    """Reads one resource: foreign ``linkId``s and codes made into identifiers, the same
    way everywhere (so a condition still names its question)."""

    def __init__(self, resource: Mapping[str, Any]) -> None:
        self.ids: dict[str, str] = {}
        self.used: set[str] = set()
        self.resource = resource

    def identifier(self, link_id: Any, where: str) -> str:
        if not isinstance(link_id, str) or not link_id:
            raise FhirImportError(f"{where}: an item has no linkId.")
        if link_id in self.ids:
            return self.ids[link_id]
        made = link_id if IDENTIFIER.match(link_id) else _identifier(link_id, "q")
        base, number = made, 2
        while made in self.used:
            made = f"{base[:58]}_{number}"
            number += 1
        self.ids[link_id] = made
        self.used.add(made)
        return made

    def condition(self, item: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        rules = item.get("enableWhen") or []
        if not rules:
            return None
        behaviour = item.get("enableBehavior")
        if len(rules) > 1 and behaviour != "any":
            raise FhirImportError(f"{where}: several enableWhen must all hold; the portal "
                                  "shows a question when one of several answers is given "
                                  "(enableBehavior any) only.")
        targets = {rule.get("question") for rule in rules}
        if len(targets) != 1:
            raise FhirImportError(f"{where}: enableWhen on several questions is not "
                                  "supported (one question per condition).")
        target = self.identifier(rules[0].get("question"), where)
        if rules[0].get("operator") == "exists":
            if len(rules) > 1 or rules[0].get("answerBoolean") is not True:
                raise FhirImportError(f"{where}: only 'exists' true is supported.")
            return {"question": target, "answered": True}
        values = [self.answer(rule, where) for rule in rules]
        if behaviour == "any":
            return {"question": target, "in": values}
        return {"question": target, "equals": values[0]}

    def answer(self, rule: Mapping[str, Any], where: str) -> Any:
        if rule.get("operator") != "=":
            raise FhirImportError(f"{where}: the enableWhen operator "
                                  f"{str(rule.get('operator'))[:10]!r} is not supported "
                                  "(only '=' and 'exists').")
        if "answerBoolean" in rule:
            return "yes" if rule["answerBoolean"] else "no"
        if "answerCoding" in rule:
            return self.code(rule["answerCoding"].get("code"), where)
        if "answerInteger" in rule:
            return rule["answerInteger"]
        if "answerString" in rule:
            return rule["answerString"]
        raise FhirImportError(f"{where}: this enableWhen answer type is not supported.")

    def code(self, code: Any, where: str) -> str:
        if not isinstance(code, str) or not code:
            raise FhirImportError(f"{where}: an option has no code.")
        if IDENTIFIER.match(code) or code == IN_PERSON:
            return code
        return _identifier(code, "option")


def _identifier(text: str, prefix: str) -> str:
    """``text`` made into a lower-case identifier (``1.2`` -> ``q_1_2``)."""
    made = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_")
    if not made or not made[0].isalpha():
        made = f"{prefix}_{made}".rstrip("_")
    return made[:63]


def _options(reader: _Reader, item: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
    if item.get("answerValueSet"):
        raise FhirImportError(f"{where}: options from a value set (answerValueSet) are not "
                              "supported; list them as answerOption.")
    options = []
    for option in item.get("answerOption") or []:
        if "valueCoding" in option:
            coding = option["valueCoding"]
            label = _read_core_text(coding, "display") or coding.get("code", "")
            options.append({"value": reader.code(coding.get("code"), where), "label": label})
        elif "valueInteger" in option:
            extension = _portal(option.get("extension") or [], OPTION_LABEL)
            label = _read_text_extension(extension) if extension else str(option["valueInteger"])
            options.append({"value": option["valueInteger"], "label": label})
        elif "valueString" in option:
            options.append({"value": reader.code(option["valueString"], where),
                            "label": option["valueString"]})
        else:
            raise FhirImportError(f"{where}: only coded, whole-number or text options are "
                                  "supported.")
    return options


def _question(reader: _Reader, item: Mapping[str, Any], where: str, *,
              in_group: bool = False) -> dict[str, Any]:
    extensions = item.get("extension") or []
    fhir_type = item.get("type")
    where = f"{where} ({str(item.get('linkId'))[:64]})"
    if fhir_type == "display":
        instrument = _portal(extensions, INSTRUMENT)
        if instrument is None or in_group:
            raise FhirImportError(f"{where}: display items are not supported (put the text "
                                  "in a question's help, or in the section's intro).")
        block = {"instrument": instrument.get("valueString")}
        version = _portal(extensions, INSTRUMENT_VERSION)
        if version is not None:
            block["version"] = version.get("valueString")
        return block
    marked = _portal(extensions, QUESTION_TYPE)
    if marked is not None:
        kind = str(marked.get("valueCode"))
    elif fhir_type == "group":
        if in_group:
            raise FhirImportError(f"{where}: groups cannot contain groups.")
        kind = "group"
    elif fhir_type in _FOREIGN_TYPE:
        kind = _FOREIGN_TYPE[str(fhir_type)]
        if kind == "single_choice" and item.get("repeats"):
            kind = "multiple_choice"
    else:
        raise FhirImportError(f"{where}: the item type {str(fhir_type)[:20]!r} is not "
                              "supported (string, text, choice, boolean, date, integer, "
                              "group).")
    if kind != "group" and item.get("item"):
        raise FhirImportError(f"{where}: only groups may hold items.")
    question: dict[str, Any] = {
        "id": reader.identifier(item.get("linkId"), where),
        "type": kind,
        "label": _read_core_text(item, "text"),
    }
    for name in QUESTION_TEXTS:
        extension = _portal(extensions, name)
        if extension is not None:
            question[name] = _read_text_extension(extension)
    if "required" in item:
        question["required"] = item["required"]
    for name, value_type in QUESTION_FLAGS.items():
        extension = _portal(extensions, name)
        if extension is not None:
            question[name] = extension.get(value_type)
    if item.get("answerOption") or item.get("answerValueSet"):
        question["options"] = _options(reader, item, where)
    elif kind in ("single_choice", "multiple_choice"):
        question["options"] = []
    if "maxLength" in item:
        question["max_length"] = item["maxLength"]
    for name, url, default in (("min_value", MIN_VALUE, FOREIGN_RANGE[0]),
                               ("max_value", MAX_VALUE, FOREIGN_RANGE[1])):
        found = _portal(extensions, url)
        if found is not None:
            question[name] = found.get("valueInteger")
        elif kind == "number":
            question[name] = default
    if kind == "group":
        found = _portal(extensions, MAX_OCCURS)
        question["max_items"] = (found.get("valueInteger") if found is not None
                                 else FOREIGN_MAX_ITEMS)
        question["questions"] = [
            _question(reader, child, f"{where}.item[{number}]", in_group=True)
            for number, child in enumerate(item.get("item") or [])
        ]
    condition = reader.condition(item, where)
    if condition is not None:
        question["condition"] = condition
    return _ordered(question, extensions)


def _ordered(data: dict[str, Any], extensions: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``data`` with exactly the keys, in the order, the ``keys`` extension lists (a source
    written by the portal); as read otherwise. A listed key not found is an empty text."""
    listed = _portal(extensions, KEYS)
    if listed is None:
        return data
    return {key: data.get(key, None if key == "condition" else "")
            for key in str(listed.get("valueString", "")).split()}


def _section(reader: _Reader, item: Mapping[str, Any], where: str) -> dict[str, Any]:
    extensions = item.get("extension") or []
    named = _portal(extensions, SECTION_ID)
    section: dict[str, Any] = {
        "id": (str(named.get("valueString")) if named is not None
               else reader.identifier(item.get("linkId"), where)),
        "title": _read_core_text(item, "text"),
    }
    for name in SECTION_TEXTS:
        extension = _portal(extensions, name)
        if extension is not None:
            section[name] = _read_text_extension(extension)
    visibility = _portal(extensions, "visibility")
    if visibility is not None:
        section["visibility"] = visibility.get("valueCode")
    condition = reader.condition(item, f"{where} ({str(item.get('linkId'))[:64]})")
    if condition is not None:
        section["condition"] = condition
    section["questions"] = [
        _question(reader, child, f"{where}.item[{number}]")
        for number, child in enumerate(item.get("item") or [])
    ]
    return _ordered(section, extensions)


def _sections(reader: _Reader, items: list[Mapping[str, Any]],
              title: Any) -> list[dict[str, Any]]:
    """Top-level groups are sections; a run of top-level questions (another tool's) is
    put in a section of its own."""
    sections: list[dict[str, Any]] = []
    loose: list[dict[str, Any]] = []
    for number, item in enumerate(items):
        where = f"item[{number}]"
        if item.get("type") == "group" and not item.get("repeats"):
            if loose:
                sections.append(_loose_section(reader, loose, title, len(sections)))
                loose = []
            sections.append(_section(reader, item, where))
        else:
            loose.append(_question(reader, item, where))
    if loose:
        sections.append(_loose_section(reader, loose, title, len(sections)))
    return sections


def _loose_section(reader: _Reader, questions: list[dict[str, Any]], title: Any,
                   number: int) -> dict[str, Any]:
    section_id = reader.identifier(f"section_{number + 1}", "section")
    return {"id": section_id, "title": title or "Questions", "questions": questions}


def from_fhir(resource: Any) -> dict[str, Any]:
    """The questionnaire source (for a draft) that the FHIR R4 ``Questionnaire``
    ``resource`` describes; refuses (``FhirImportError``, naming the item) anything that is
    not a valid Questionnaire, or that asks what the portal cannot. The result is checked
    as a draft is: the builder names what it still lacks."""
    validate(resource)
    reader = _Reader(resource)
    extensions = resource.get("extension") or []
    title = _read_core_text(resource, "title")
    source: dict[str, Any] = {
        "slug": str(resource.get("name") or ""),
        "version": str(resource.get("version") or ""),
        "title": title,
    }
    intro = _portal(extensions, "intro")
    if intro is not None:
        source["intro"] = _read_text_extension(intro)
    audience = _portal(extensions, "audience")
    if audience is not None:
        source["audience"] = audience.get("valueCode")
    source["sections"] = _sections(reader, resource.get("item") or [], title)
    scales = _every(extensions, SCALE)
    rules = _every(extensions, SAFETY)
    try:
        source["instruments"] = [json.loads(str(scale.get("valueString"))) for scale in scales]
        source["safety"] = [json.loads(str(rule.get("valueString"))) for rule in rules]
    except (ValueError, RecursionError):
        raise FhirImportError("An instrument or safety extension is not valid JSON.") from None
    ordered = _ordered(source, extensions)
    if _portal(extensions, KEYS) is None:
        ordered = {key: value for key, value in ordered.items()
                   if key not in ("instruments", "safety") or value}
    return ordered
