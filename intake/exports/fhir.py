"""FHIR R4 resources for the questionnaire and a submitted intake.

``questionnaire_resource`` describes one stored questionnaire version (practice data, no
personal data); ``questionnaire_response`` carries one client's submitted answers against it.
Both are plain ``dict``s ready for ``json.dumps``; the tests validate them with the
``fhir.resources`` R4B models (R4B keeps R4's Questionnaire and QuestionnaireResponse).

Mapping, in short:

* each section is a ``group`` item (``linkId`` = section id); each question an item whose
  ``linkId`` is the question id, so a response item always names the question it answers;
* each question's item type, details and answers come from its type's class
  (``intake.question_types``): ``short_text`` -> ``string``, ``long_text`` -> ``text``,
  ``date`` -> ``date``, ``number`` -> ``integer``; ``single_choice``, ``yes_no``,
  ``frequency`` -> ``choice`` and ``multiple_choice`` -> ``choice`` with ``repeats``; the
  options are ``answerOption`` codings in the system
  ``urn:portal:questionnaire:<slug>:<question id>`` (code = stored value, display = label);
  ``group`` -> a repeating ``group``;
* a sensitive question also offers "I'd rather talk about this in person" (code
  ``in_person``). A sensitive *text* question therefore becomes R4's ``open-choice`` (free
  text as ``valueString``, or the ``in_person`` coding), because a ``string``/``text`` item may
  only be answered with ``valueString``;
* conditions become ``enableWhen`` (``in`` as several, with ``enableBehavior`` ``any``).

Languages: the ``Questionnaire`` is written in the definition's default language
(``language`` "en"), and each item whose text the definition also gives in another language
carries it in the standard translation extension on ``_text``
(``http://hl7.org/fhir/StructureDefinition/translation``: ``lang`` and ``content``). The
``QuestionnaireResponse`` says the language the client answered in (``language``) and
gives each item's text as the client read it, in that language; answers are exactly as
typed, and coded answers are the same codes whatever the language.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils import translation

from intake.models import Intake, QuestionnaireVersion
from intake.question_types import question_type
from intake.question_types.base import FHIR_EXTENSION, Coder
from intake.schema import (
    DEFAULT_LANGUAGE,
    IN_PERSON,
    Condition,
    Question,
    Questionnaire,
    Section,
    in_person_label,
)
from intake.schema_classes import Localized

# The standard extension giving an element's text in another language.
TRANSLATION_EXTENSION = f"{FHIR_EXTENSION}translation"

# Canonical URLs are identifiers, not addresses: ".invalid" never resolves (RFC 2606), so
# no system will try to fetch a questionnaire from a host we do not run.
CANONICAL_BASE = "https://portal.invalid/Questionnaire/"
FHIR_JSON = "application/fhir+json"


def canonical_url(slug: str) -> str:
    """The questionnaire's canonical URL (without version)."""
    return f"{CANONICAL_BASE}{slug}"


def canonical_reference(version: QuestionnaireVersion) -> str:
    """A versioned canonical reference: ``<url>|<version>``."""
    return f"{canonical_url(version.slug)}|{version.version}"


def coding_system(slug: str, question_id: str) -> str:
    """The code system of one question's options."""
    return f"urn:portal:questionnaire:{slug}:{question_id}"


def _computable_name(slug: str) -> str:
    """``default-intake`` -> ``DefaultIntake`` (FHIR's ``name`` is a code-friendly name)."""
    words = [part for part in slug.replace("_", "-").split("-") if part]
    name = "".join(word[:1].upper() + word[1:] for word in words)
    return name if name[:1].isalpha() else f"Q{name}"


def _coding(slug: str, question: Question, value: Any, display: str) -> dict[str, str]:
    return {"system": coding_system(slug, question.id), "code": str(value), "display": display}


def _coder(slug: str, question: Question) -> Coder:
    """The codings of one question's answers, for its type to use."""
    return lambda value, display: _coding(slug, question, value, display)


def _in_person(slug: str, question: Question) -> dict[str, str]:
    return _coding(slug, question, IN_PERSON, in_person_label())


def _typed_value(slug: str, question: Question, value: Any) -> list[tuple[str, Any]]:
    """One stored answer as ``(valueX name, value)`` pairs: one pair, or one per chosen
    option of a multiple choice. Empty for an unanswered question."""
    if value is None or value == "" or value == []:
        return []
    if question.sensitive and value == IN_PERSON:
        return [("Coding", _in_person(slug, question))]
    return question_type(question.type).fhir_answers(question, value, _coder(slug, question))


def _enable_when(
    condition: Condition, questionnaire: Questionnaire
) -> tuple[list[dict[str, Any]], str | None]:
    target = questionnaire.question(condition.question)
    if condition.answered:
        return [{"question": target.id, "operator": "exists", "answerBoolean": True}], None
    values = condition.one_of or (condition.equals,)
    rules = []
    for value in values:
        for kind, typed in _typed_value(questionnaire.slug, target, value)[:1]:
            if kind == "Coding":  # match on system and code; the display is for people
                typed = {"system": typed["system"], "code": typed["code"]}
            rules.append({"question": target.id, "operator": "=", f"answer{kind}": typed})
    return rules, ("any" if len(rules) > 1 else None)


def _with_condition(
    item: dict[str, Any], condition: Condition | None, questionnaire: Questionnaire
) -> dict[str, Any]:
    if condition is None:
        return item
    rules, behaviour = _enable_when(condition, questionnaire)
    if rules:
        item["enableWhen"] = rules
        if behaviour:
            item["enableBehavior"] = behaviour
    return item


def _translations(source: Localized, name: str) -> dict[str, Any]:
    """``{"_text": ...}``: the translation extension for each language, other than the
    default, in which the definition gives the text ``name``; empty when none."""
    written = source.texts.get(name) or {}
    extensions = [
        {"url": TRANSLATION_EXTENSION,
         "extension": [{"url": "lang", "valueCode": language},
                       {"url": "content", "valueString": text}]}
        for language, text in sorted(written.items())
        if language != DEFAULT_LANGUAGE and text.strip()
    ]
    return {"_text": {"extension": extensions}} if extensions else {}


def _question_item(question: Question, questionnaire: Questionnaire) -> dict[str, Any]:
    slug = questionnaire.slug
    kind = question_type(question.type)
    item: dict[str, Any] = {"linkId": question.id, "text": question.label,
                            **_translations(question, "label"),
                            "type": kind.fhir_item_type(question)}
    if question.required:
        item["required"] = True
    if kind.holds_questions:
        item["repeats"] = True
        if question.max_items:
            item["extension"] = [{"url": f"{FHIR_EXTENSION}questionnaire-maxOccurs",
                                  "valueInteger": question.max_items}]
        item["item"] = [_question_item(child, questionnaire) for child in question.questions]
        return _with_condition(item, question.condition, questionnaire)
    item.update(kind.fhir_item_details(question))
    coding = _coder(slug, question)
    options = [kind.fhir_option(option, coding) for option in question.options]
    if question.sensitive and (options or kind.free_text):
        options.append({"valueCoding": _in_person(slug, question)})
    if options:
        item["answerOption"] = options
    return _with_condition(item, question.condition, questionnaire)


def _section_item(section: Section, questionnaire: Questionnaire) -> dict[str, Any]:
    item: dict[str, Any] = {
        "linkId": section.id,
        "text": section.title,
        **_translations(section, "title"),
        "type": "group",
        "item": [_question_item(question, questionnaire) for question in section.questions],
    }
    return _with_condition(item, section.condition, questionnaire)


def questionnaire_resource(version: QuestionnaireVersion) -> dict[str, Any]:
    """The FHIR R4 ``Questionnaire`` for one stored questionnaire version, in the default
    language with each text's translations (see the module's docstring)."""
    with translation.override(DEFAULT_LANGUAGE):
        return _questionnaire_resource(version)


def _questionnaire_resource(version: QuestionnaireVersion) -> dict[str, Any]:
    questionnaire = version.questionnaire_in(DEFAULT_LANGUAGE)
    return {
        "resourceType": "Questionnaire",
        "id": str(version.id),
        "language": DEFAULT_LANGUAGE,
        "url": canonical_url(version.slug),
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{version.id}"}],
        "version": version.version,
        "name": _computable_name(version.slug),
        "title": questionnaire.title,
        "status": "active",
        "subjectType": ["Patient"],
        "date": version.created_at.astimezone(UTC).isoformat(),
        "item": [_section_item(section, questionnaire) for section in questionnaire.sections],
    }


def _answer_item(
    question: Question, value: Any, slug: str
) -> list[dict[str, Any]]:
    """Response items for one question: none when unanswered, one per entry for a group."""
    if question_type(question.type).holds_questions:
        entries = []
        for entry in value or []:
            children = [child_item for child in question.questions
                        for child_item in _answer_item(child, entry.get(child.id), slug)]
            if children:
                entries.append({"linkId": question.id, "text": question.label,
                                "item": children})
        return entries
    answers = [{f"value{kind}": typed} for kind, typed in _typed_value(slug, question, value)]
    if not answers:
        return []
    return [{"linkId": question.id, "text": question.label, "answer": answers}]


def _response_items(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> list[dict]:
    items = []
    for section in questionnaire.sections:
        children = [item for question in section.questions
                    for item in _answer_item(question, answers.get(question.id),
                                             questionnaire.slug)]
        if children:
            items.append({"linkId": section.id, "text": section.title, "item": children})
    return items


def questionnaire_response(intake: Intake) -> dict[str, Any]:
    """The FHIR R4 ``QuestionnaireResponse`` for a submitted intake (decrypts its answers:
    the caller audits the export). Unanswered questions are left out; the subject is the
    client by id only, never by name. A draft is refused with ``ValueError``."""
    if not intake.is_submitted or intake.submitted_at is None:
        raise ValueError("Only a submitted intake can be exported.")
    language = intake.language or DEFAULT_LANGUAGE
    with translation.override(language):
        return _questionnaire_response(intake, language, intake.submitted_at)


def _questionnaire_response(intake: Intake, language: str,
                            authored: datetime) -> dict[str, Any]:
    version = intake.questionnaire
    patient = {"reference": f"Patient/{intake.client_id}"}
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(intake.id),
        "language": language,
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{intake.id}"},
        "questionnaire": canonical_reference(version),
        "status": "completed",
        "subject": patient,
        "author": dict(patient),
        "source": dict(patient),
        "authored": authored.astimezone(UTC).isoformat(),
        "item": _response_items(version.questionnaire_in(language), intake.answers),
    }
