"""Who takes part in the load run, and what each simulated client answers.

Every client gets answers of their own, drawn from the shipped questionnaire
(``intake/questionnaires/default.json``) with a seeded random generator: names, dates, choices,
free text in several languages' letters, line breaks, "I'd rather talk about this in person",
repeating groups, and canary tokens (``evc-...``) that must never appear in plaintext outside
the portal. Answers are kept in two shapes:

- *stored* (``answers``, ``partial``): exactly what the portal should hold once it has
  checked and saved them (text trimmed, frequencies as numbers, choices in the
  questionnaire's order); the database is compared with this shape;
- *posted* (``form_fields``): what a browser sends for one page, built from the stored shape.

The questionnaire parser (``intake.schema``) reads fixed options' labels through Django's
translation machinery; where no settings are configured (the Locust process, the runner)
``load_questionnaire`` configures the least it needs (no translations: the load generator
sends values, never labels), so those processes can use it too.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import random
import secrets
import string
import struct
import time
from pathlib import Path
from typing import Any

from intake.instrument_references import expand_instrument_references
from intake.schema import IN_PERSON, TEXT_TYPES, Question, Questionnaire, parse_definition

ROOT = Path(__file__).resolve().parent.parent
DEFINITION = ROOT / "intake" / "questionnaires" / "default.json"
EMAIL_DOMAIN = "evidence.test"
IN_PERSON_FIELD_SUFFIX = "-in-person"
RADIO_TYPES = frozenset({"single_choice", "yes_no", "frequency"})

_FIRST = ("Maren", "Tobias", "Zoë", "Amadou", "Ingrid", "José", "Priyanka", "Oluwaseun",
          "Siobhán", "Kenji", "Dagny", "Mateus", "Ayasha", "Björn", "Leilani", "Farrukh")
_PRONOUNS = ("she/her", "he/him", "they/them", "she/they", "he/they")
_FRAGMENTS = (
    "Most evenings I feel tired before the day is even over.",
    "My sister and I stopped talking after our father's funeral.",
    "Work has been a lot since the merger — new manager, new rules.",
    "I sleep badly and wake at four, thinking about money.",
    "My partner says I've become distant; I think they're right.",
    "I tried an app for a few weeks; it helped a little.",
    "Walking the dog helps. So does music, when I remember to put it on.",
    "I'd like to argue less and laugh more, like before.",
    "Je ne sais pas par où commencer, honnêtement.",
    "Meine Mutter ruft jeden Tag an und ich fühle mich schuldig.",
    "I moved here two years ago and still don't really know anyone.",
    "Some days are fine. Others I can't get out of bed 🌧️.",
)


def load_questionnaire() -> Questionnaire:
    """The shipped questionnaire, parsed as the portal parses it (its instruments'
    questions written out from ``intake/instruments/``)."""
    _settings_for_parsing()
    source = json.loads(DEFINITION.read_text(encoding="utf-8"))
    return parse_definition(expand_instrument_references(source))


def _settings_for_parsing() -> None:
    """Outside the portal's processes, the settings the parser touches: English and
    Spanish, translations off."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False, LANGUAGES=[("en", "English"), ("es", "Spanish")])


def _syllables(rng: random.Random, count: int) -> str:
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    return "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(count))


def _canary(rng: random.Random, index: int) -> str:
    return f"evc-{index:03d}-" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


def _text(rng: random.Random, question: Question, canaries: list[str], index: int) -> str:
    """Free text as stored: one to three short paragraphs, with a canary in every one."""
    limit = question.max_length or 200
    if question.type == "short_text":
        token = _canary(rng, index)
        canaries.append(token)
        return f"{rng.choice(('Only', 'Mostly', 'Usually'))} {token}"[:limit]
    paragraphs = []
    for _ in range(rng.randint(1, 3)):
        token = _canary(rng, index)
        canaries.append(token)
        words = " ".join(rng.sample(_FRAGMENTS, 2))
        paragraphs.append(f"{words} ({token})")
    return "\n".join(paragraphs)[:limit].strip()


def _choice_value(rng: random.Random, question: Question) -> Any:
    values = list(question.option_values())
    if question.sensitive and rng.random() < 0.1:
        return IN_PERSON
    if question.type == "frequency":
        # Mostly low scores; PHQ-9 item 9 above 0 now and then raises a safety alert.
        weights = [6, 3, 2, 1] if question.id != "phq9_9" else [18, 1, 1, 0]
        return rng.choices(values, weights=weights)[0]
    if question.id == "thoughts_of_ending_life_now":
        return rng.choices(("yes", "no"), weights=(1, 19))[0]
    return rng.choice(values)


def _group_entries(rng: random.Random, question: Question, canaries: list[str],
                   index: int) -> list[dict[str, Any]]:
    entries = []
    for _ in range(rng.randint(0, min(3, question.max_items or 0))):
        entry: dict[str, Any] = {}
        for child in question.questions:
            if rng.random() < 0.15:
                continue
            if child.type in TEXT_TYPES:
                entry[child.id] = _text(rng, child, canaries, index)
            else:
                entry[child.id] = _choice_value(rng, child)
        if entry:
            entries.append(entry)
    return entries


def _answer(rng: random.Random, question: Question, profile: dict[str, str],
            canaries: list[str], index: int) -> Any:
    """One stored answer, or None to leave the question unanswered."""
    if question.id in profile:
        return profile[question.id]
    if not question.required and rng.random() < 0.2:
        return None
    if question.type in TEXT_TYPES:
        if question.sensitive and rng.random() < 0.15:
            return IN_PERSON
        return _text(rng, question, canaries, index)
    if question.type == "multiple_choice":
        if question.sensitive and rng.random() < 0.1:
            return IN_PERSON
        chosen = set(rng.sample(list(question.option_values()),
                                rng.randint(1, min(3, len(question.options)))))
        return [value for value in question.option_values() if value in chosen]
    if question.type == "group":
        return _group_entries(rng, question, canaries, index) or None
    if question.type == "date":
        return (datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randint(0, 20000))
                ).isoformat()
    if question.type == "number":
        return rng.randint(question.min_value or 0, question.max_value or 10)
    return _choice_value(rng, question)


def _visible(question: Question, answers: dict[str, Any]) -> bool:
    return question.condition is None or question.condition.holds(answers)


def _partial(section_answers: dict[str, Any], questions: list[Question]) -> dict[str, Any]:
    """What the first autosave of a page holds: the first half of its questions, texts
    half typed (the second autosave and the page's own post then send everything)."""
    kept: dict[str, Any] = {}
    half = (len(questions) + 1) // 2
    for question in questions[:half]:
        value = section_answers.get(question.id)
        if isinstance(value, str) and question.type in TEXT_TYPES and value != IN_PERSON:
            value = value[: max(1, len(value) // 2)].strip() or None
        elif isinstance(value, list) and question.type == "group":
            value = value[:1]
        if value is not None and _visible(question, kept):
            kept[question.id] = value
    return kept


def client_plan(index: int, rng: random.Random, questionnaire: Questionnaire) -> dict[str, Any]:
    """One simulated client: account, profile (as seeded), and answers page by page."""
    canaries: list[str] = []
    family = (_syllables(rng, 3) + "-" + _syllables(rng, 2)).title()
    legal_name = f"{rng.choice(_FIRST)} {family}"
    canaries.append(legal_name)
    phone = f"(555) {rng.randint(200, 989)}-{rng.randint(1000, 9999)}"
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randint(0, 20000))
    profile = {"legal_name": legal_name, "preferred_name": legal_name.split()[0],
               "pronouns": rng.choice(_PRONOUNS), "date_of_birth": birth.isoformat(),
               "phone": phone}
    answers: dict[str, dict[str, Any]] = {}
    partial: dict[str, dict[str, Any]] = {}
    so_far: dict[str, Any] = {}
    for section in questionnaire.sections:
        page: dict[str, Any] = {}
        for question in section.questions:
            if not _visible(question, {**so_far, **page}):
                continue
            value = _answer(rng, question, profile, canaries, index)
            if value is not None:
                page[question.id] = value
        answers[section.id] = page
        partial[section.id] = _partial(page, list(section.questions))
        so_far.update(page)
    return {
        "index": index,
        "email": f"client.{index:03d}@{EMAIL_DOMAIN}",
        "password": f"ev-{secrets.token_urlsafe(12)}",
        "ip": f"198.18.{index // 250}.{index % 250 + 1}",
        "profile": profile,
        "answers": answers,
        "partial": partial,
        "canaries": canaries,
    }


def new_totp_secret() -> str:
    """A base32 TOTP secret, as allauth generates them (20 random bytes)."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def build_plan(*, clients: int, clinicians: int, seed: int) -> dict[str, Any]:
    """The whole cast: ``clients`` clients, one practice admin and ``clinicians``
    clinicians (each on every client's care team). Passwords and TOTP secrets are random
    per run; answers follow ``seed``."""
    questionnaire = load_questionnaire()
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    staff = [{"email": f"admin@{EMAIL_DOMAIN}", "role": "practice_admin"}]
    staff += [{"email": f"clinician.{n}@{EMAIL_DOMAIN}", "role": "clinician"}
              for n in range(1, clinicians + 1)]
    for number, person in enumerate(staff):
        person.update(password=f"ev-{secrets.token_urlsafe(12)}",
                      totp_secret=new_totp_secret(), ip=f"198.19.0.{number + 1}")
    return {
        "seed": seed,
        "clients": [client_plan(index, rng, questionnaire) for index in range(clients)],
        "staff": staff,
    }


def expected_answers(client: dict[str, Any], acknowledged: dict[str, str]) -> dict[str, Any]:
    """What the portal should hold for ``client`` given which version of each page it
    acknowledged (``"partial"`` after the first autosave, ``"full"`` after the second or
    the page's own post)."""
    merged: dict[str, Any] = {}
    for section_id, version in acknowledged.items():
        source = client["answers"] if version == "full" else client["partial"]
        merged.update(source[section_id])
    return merged


# --- What a browser posts ---------------------------------------------------------------


def _browser_text(value: str) -> str:
    """Browsers send a textarea's line breaks as CRLF."""
    return value.replace("\n", "\r\n")


def _fields_for(question: Question, name: str, value: Any) -> list[tuple[str, str]]:
    if question.type == "group":
        fields: list[tuple[str, str]] = []
        entries = value or []
        for number in range(1, (question.max_items or 0) + 1):
            entry = entries[number - 1] if number <= len(entries) else {}
            for child in question.questions:
                fields += _fields_for(child, f"{name}-{number}-{child.id}", entry.get(child.id))
        return fields
    if question.type in TEXT_TYPES or question.type in ("date", "number"):
        if question.sensitive and value == IN_PERSON:
            return [(name, ""), (name + IN_PERSON_FIELD_SUFFIX, "on")]
        return [(name, "" if value is None else _browser_text(str(value)))]
    if question.type == "multiple_choice":
        if value == IN_PERSON:
            return [(name, IN_PERSON)]
        return [(name, str(item)) for item in value or []]
    # Radio buttons: nothing is sent until one is chosen.
    return [] if value is None else [(name, str(value))]


def form_fields(questionnaire: Questionnaire, section_id: str, listed: list[str],
                answers: dict[str, Any]) -> list[tuple[str, str]]:
    """The answer fields a browser posts for one page: every question the page lists
    (``listed``, from its hidden ``questions`` inputs), blank where not answered."""
    fields: list[tuple[str, str]] = []
    for question in questionnaire.section(section_id).questions:
        if question.id in listed:
            fields += _fields_for(question, question.id, answers.get(question.id))
    return fields


# --- An authenticator app ---------------------------------------------------------------


def totp_code(secret: str, *, period: int = 30, digits: int = 6) -> str:
    """The code an authenticator app shows now (RFC 6238, as allauth checks it). Waits for
    the next window when this one ends within two seconds, so the code is still valid on
    arrival (allauth allows no clock tolerance by default)."""
    if period - time.time() % period < 2:
        time.sleep(period - time.time() % period + 0.05)
    counter = int(time.time()) // period
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter),
                      hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10 ** digits:0{digits}d}"
