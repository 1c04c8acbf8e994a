"""Shared by the hostile-input tests (``test_hostile_*.py``, ``test_access_sweep.py``): the
hostile strings, the ways a request can carry them, the people and objects of a small
practice, one rolled-back database savepoint per example, and the checks that nothing
invalid was stored.

Hypothesis runs many examples against one set of people (signing in is the slow part), so
each example's writes are undone by a savepoint rolled back at its end, and the cache (rate
limits, used TOTP codes) is cleared around it: every example starts from the same world.
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypedDict
from urllib.parse import urlencode

from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Field
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from consents.authorizations import LIMITS, AuthorizationDetails, authorization_sign
from consents.models import (
    ConsentDocument,
    ConsentSignature,
    ConsentVersion,
    ReleaseAuthorization,
    VersionStatus,
)
from consents.services import version_hash
from intake.models import (
    ACKNOWLEDGEMENT_NOTE_MAX_LENGTH,
    Intake,
    IntakeState,
    SafetyAlertAcknowledgement,
)
from intake.schema import IN_PERSON, TEXT_TYPES, Question, Questionnaire
from intake.services import intake_start
from portal.audit.models import AuditEvent
from portal.crypto.owners import client_owner
from portal.models import (
    CareAssignment,
    ClientProfile,
    DataKey,
    Invitation,
    PracticeSettings,
    User,
)
from portal.roles import Role
from portal.services.invitations import _new_token, invitation_send
from tests.access_matrix import check_in_objects as _check_in_objects
from tests.access_matrix import consent_objects as _consent_objects
from tests.factories import UserFactory
from tests.helpers import given_up_message, published_version, reauthenticate, sign_in
from tests.intake_data import submitted_intake

# One setting for every fuzzing loop: few examples each (the loops cover many endpoints),
# no deadline (a page render on a busy CI box can take a second), and no example database
# (the inner functions share a name, so saved examples would cross endpoints).
FUZZ = settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)

# --- Hostile strings ------------------------------------------------------------------------

HUGE = "x" * 100_000
# Strings chosen by hand, each for a reason: NUL and other control characters, invisible
# and direction-changing characters, digits that are not ASCII ("²".isdigit() is True but
# int("²") fails), numbers and dates at and past their edges, values of the wrong shape,
# injection attempts, and strings just past each length limit.
NASTY: tuple[str, ...] = (
    "", " ", " \t\r\n ", "\x00", "a\x00b", "\x01\x02\x07\x1b[31m", "\x7f", "\x85",
    "\u200b\u200b", "\u202e\u202e", "\u202eexe.pdf", "\ufeff", "\u00ad\u00ad", "\u2028",
    "שלום עולם", "مرحبا", "😀👩‍👩‍👧‍👦", "\U0001d54f\U0001d550", "e\u0301\u0301\u0301", "Ω≈ç√", "ﷺ",
    "²", "½", "٣", "\uff13", "1_000", " 2 ", "-1", "9" * 5000, "1e9", "NaN", "∞", "0x10",
    "2020-02-30", "0000-01-01", "1899-12-31", "9999-12-31", "+002020-01-01", "20200101",
    "2999-01-01", "2020-W01-1", "null", "None", "true", "[]", "{}", IN_PERSON, "on", "off",
    "' OR '1'='1", "\"; DROP TABLE portal_user; --", "%00", "%s%s%n", "../../etc/passwd",
    "<script>alert(1)</script>", "{{7*7}}", "{% debug %}", '=HYPERLINK("http://evil.example")',
    "a" * 201, "a" * 1001, "a" * 2001, "a" * 4001, HUGE, "\r\n" * 2000, "x\ny",
    "00000000-0000-0000-0000-000000000000", "not-a-uuid", "\ud800", "a\udfffb",
)
# Lone surrogates cannot travel in a multipart body (the test client encodes UTF-8 strictly);
# they go through the urlencoded body as the invalid bytes a hostile browser could send.
_SURROGATE = re.compile("[\ud800-\udfff]")


def hostile_text() -> st.SearchStrategy[str]:
    """A hand-picked nasty string, or random unicode (surrogates included)."""
    return st.one_of(st.sampled_from(NASTY), st.text(max_size=40))


def field_value(good: Sequence[str] = ()) -> st.SearchStrategy[str | list[str]]:
    """What one field may carry: a plausible value, a hostile one, or several (a list
    where one value is expected)."""
    one = st.one_of(st.sampled_from(list(good)), hostile_text()) if good else hostile_text()
    return st.one_of(one, one, st.lists(one, max_size=3))


def _extra_fields() -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.text(min_size=1, max_size=20), field_value(), max_size=2)


def random_form(fields: Mapping[str, Sequence[str]]) -> st.SearchStrategy[dict[str, Any]]:
    """Any of ``fields`` (each possibly missing, plausible or hostile), plus unknown ones."""
    known = st.fixed_dictionaries({}, optional={
        name: field_value(good) for name, good in fields.items()
    })
    return st.builds(lambda k, e: {**e, **k}, known, _extra_fields())


@st.composite
def nearly_valid_form(draw: st.DrawFn, fields: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """A plausible post with one or two fields made hostile (or left out), so examples get
    past the first check and reach the code behind it."""
    data: dict[str, Any] = {name: draw(st.sampled_from(list(good)))
                            for name, good in fields.items() if good}
    if not data:
        return draw(random_form(fields))
    for name in draw(st.lists(st.sampled_from(sorted(data)), min_size=1, max_size=2,
                              unique=True)):
        if draw(st.booleans()):
            data[name] = draw(st.one_of(hostile_text(), st.lists(hostile_text(), max_size=3)))
        else:
            del data[name]
    return data


def form_data(fields: Mapping[str, Sequence[str]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(nearly_valid_form(fields), random_form(fields))


ENVELOPES = ("multipart", "multipart", "multipart", "urlencoded", "json", "text")


@dataclass(frozen=True)
class Hostile:
    """One hostile request body: the fields, how they travel, and the user agent."""

    data: dict[str, Any]
    envelope: str = "multipart"
    user_agent: str | None = None


def hostile_request(fields: Mapping[str, Sequence[str]]) -> st.SearchStrategy[Hostile]:
    return st.builds(Hostile, form_data(fields), st.sampled_from(ENVELOPES),
                     st.one_of(st.none(), hostile_text()))


def _no_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_no_surrogates(item) for item in value]
    return value


def _query(data: Mapping[str, Any]) -> str:
    return urlencode(data, doseq=True, errors="surrogatepass")


def send(http: Client, method: str, url: str, hostile: Hostile) -> Any:
    """Send ``hostile`` to ``url`` the way its envelope says."""
    extra: dict[str, Any] = {}
    if hostile.user_agent is not None:
        extra["HTTP_USER_AGENT"] = _no_surrogates(hostile.user_agent)
    data = hostile.data
    if method == "get":
        return http.get(f"{url}?{_query(data)}", **extra)
    if hostile.envelope == "urlencoded":
        return http.post(url, _query(data), content_type="application/x-www-form-urlencoded",
                         **extra)
    if hostile.envelope == "json":
        return http.post(url, json.dumps(data), content_type="application/json", **extra)
    if hostile.envelope == "text":
        return http.post(url, _query(data), content_type="text/plain", **extra)
    return http.post(url, {k: _no_surrogates(v) for k, v in data.items()}, **extra)


# --- Database ----------------------------------------------------------------------------------


@contextmanager
def rolled_back() -> Iterator[None]:
    """Everything written inside is undone at the end (a savepoint rolled back), and the
    cache is cleared on both sides, so the next example meets the same world."""
    cache.clear()
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        cache.clear()


@contextmanager
def as_database_administrator() -> Iterator[Any]:
    """A cursor that goes around the application, as someone with database access would
    (on PostgreSQL, first switching the audit table's triggers off, as a table owner can)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE portal_auditevent DISABLE TRIGGER USER")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE portal_auditevent ENABLE TRIGGER USER")


_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([\w.]+)"?', re.I)
# Written by any signed-in request or by the audit trail: nothing a form stores.
QUIET_TABLES = frozenset({Session._meta.db_table, AuditEvent._meta.db_table})


@contextmanager
def written_tables() -> Iterator[set[str]]:
    """The tables written to inside the block (INSERT, UPDATE, DELETE), so the slower
    checks of what was stored run only when something was."""
    tables: set[str] = set()

    def spy(execute: Callable[..., Any], sql: str, params: Any, many: bool,
            context: Any) -> Any:
        if match := _WRITE.match(sql):
            tables.add(match.group(1))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        yield tables


def db_snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the sessions (signed-in requests refresh their own), in
    primary-key order, read with plain SQL (the encrypted models refuse ``values_list``).
    Ciphertext is compared as stored: re-encrypting anything shows up, because every
    encryption uses a fresh nonce."""
    tables = {model._meta.db_table: model._meta.pk.column
              for model in apps.get_models(include_auto_created=True)
              if model._meta.managed and not model._meta.proxy and model is not Session}
    rows = {}
    with connection.cursor() as cursor:
        for table, pk in sorted(tables.items()):
            assert pk is not None, f"{table} has a primary key column"
            quote = connection.ops.quote_name
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {quote(pk)}")  # noqa: S608
            rows[table] = [tuple(row) for row in cursor.fetchall()]
    return rows


def db_changes(before: Mapping[str, list[Any]], after: Mapping[str, list[Any]]) -> list[str]:
    return sorted(table for table in before if before[table] != after.get(table))


# --- The URL conf --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    view: Callable[..., Any]
    params: tuple[str, ...]


def routes(resolver: URLResolver | None = None, namespace: str = "") -> list[Route]:
    """Every named URL pattern (namespaced names as ``ns:name``) with its view and the
    names of the values its path captures."""
    found: list[Route] = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            outer = tuple(pattern.pattern.regex.groupindex)
            found += [Route(r.name, r.view, outer + r.params) for r in routes(pattern, inner)]
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.append(Route(f"{namespace}{pattern.name}", pattern.callback,
                               tuple(pattern.pattern.regex.groupindex)))
    return found


OURS_EXCLUDED_PREFIXES = ("account_", "mfa_", "admin:")


def our_routes() -> list[Route]:
    return [route for route in routes() if not route.name.startswith(OURS_EXCLUDED_PREFIXES)]


def allowed_methods(view: Callable[..., Any]) -> set[str] | None:
    """The methods ``require_http_methods`` (and ``require_GET``/``require_POST``) let
    through to ``view``, read from the decorators' closures; None when nothing restricts
    them. Class-based views (allauth's) answer None."""
    allowed: set[str] | None = None
    seen = 0
    layer: Callable[..., Any] | None = view
    while layer is not None and seen < 20:
        seen += 1
        code = getattr(layer, "__code__", None)
        closure = getattr(layer, "__closure__", None)
        if code is not None and closure:
            cells = dict(zip(code.co_freevars, closure, strict=True))
            if "request_method_list" in cells:
                methods = set(cells["request_method_list"].cell_contents)
                allowed = methods if allowed is None else allowed & methods
        layer = getattr(layer, "__wrapped__", None)
    return allowed


def accepts_post(view: Callable[..., Any]) -> bool:
    methods = allowed_methods(view)
    return methods is None or "POST" in methods


# --- The practice ---------------------------------------------------------------------------------

class AuthorizationText(TypedDict):
    """The text fields of an authorization to release information (``AuthorizationDetails``
    without its end date and substance-use part)."""

    information: str
    discloser: str
    recipient: str
    purpose: str
    expiry_event: str


AUTHORIZATION_FIELDS: AuthorizationText = {
    "information": "Dates of my sessions and a summary of my treatment plan",
    "discloser": "Our practice",
    "recipient": "Dr Recipient, Lakeside Family Practice",
    "purpose": "At my request, to coordinate my care",
    "expiry_event": "when my treatment with the practice ends",
}


@dataclass
class World:
    """Client A (on clinician A's care team) with their objects; client B and clinician B,
    who should see none of them; the practice admin. ``http`` holds a signed-in test client
    per person (staff re-authenticated, so the password prompt hides no access decision)
    and an anonymous one."""

    people: dict[str, User]
    http: dict[str, Client]
    objects: dict[str, Any] = field(default_factory=dict)


STRANGERS = ("other_client", "other_clinician", "anonymous")


def build_world(*, signed_in: Sequence[str] = ("client", "other_client", "clinician",
                                                "other_clinician", "admin")) -> World:
    admin = UserFactory(role=Role.PRACTICE_ADMIN, email="admin@example.com",
                        display_name="Pat Admin", totp=True)
    clinician = UserFactory(role=Role.CLINICIAN, email="clinician@example.com",
                            display_name="Dr. Lee", totp=True)
    other_clinician = UserFactory(role=Role.CLINICIAN, email="other.clinician@example.com",
                                  display_name="Dr. Other", totp=True)
    client = UserFactory(role=Role.CLIENT, email="client@example.com")
    other_client = UserFactory(role=Role.CLIENT, email="other.client@example.com")
    people = {"admin": admin, "clinician": clinician, "other_clinician": other_clinician,
              "client": client, "other_client": other_client}
    CareAssignment.objects.create(client=client, clinician=clinician)
    invitation = invitation_send(email="invitee@example.com", invited_by=admin)
    token = _new_token(invitation)
    invitation.save(update_fields=["nonce_sha256"])
    # A submitted intake with a safety answer (so there is an alert to acknowledge), then a
    # new draft: both client A's.
    submitted = submitted_intake(client, item_9=2)
    objects: dict[str, Any] = {
        "invitation": invitation, "token": token, "assigned_client": client,
        "submitted_intake": submitted, "draft_intake": intake_start(client=client),
        **_consent_objects(client),
        **_check_in_objects(client, clinician),
    }
    release = published_version(ConsentDocument.objects.get(kind="release_authorization"))
    objects["release_version"] = release
    objects["authorization"] = authorization_sign(
        client=client, version_id=release.pk, expected_sha256=release.sha256,
        typed_name="Robin Example", agreed=True, submission=uuid.uuid4(),
        details=AuthorizationDetails(expires_on=None, **AUTHORIZATION_FIELDS),
    )
    # An email to client A that the worker gave up on (the "Outgoing messages" page).
    objects["given_up_message"] = given_up_message(client)
    # The practice's draft of the individual questionnaire (the builder, issue 20).
    from intake.builder.assignments import version_for
    from intake.builder.drafts import draft_start
    from intake.models import IntakeKind

    objects["builder_draft"] = draft_start(version=version_for(IntakeKind.INDIVIDUAL),
                                           actor=admin)
    http = {"anonymous": Client()}
    for name in signed_in:
        http[name] = Client()
        sign_in(http[name], people[name])
        if name in ("clinician", "other_clinician", "admin"):
            reauthenticate(http[name])
    return World(people, http, objects)


# --- Nothing invalid stored ---------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _visible(text: str) -> str:
    """The characters a reader can see: letters, marks on them, digits, punctuation and
    symbols (no spaces, control, format or private-use characters)."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LMNPS")


def answer_problem(question: Question, value: Any) -> str | None:
    """Why ``value`` cannot be a stored answer to ``question`` (None: it can). Written
    apart from ``intake.answers`` on purpose, from the questionnaire's own rules."""
    kind = question.type
    if question.sensitive and value == IN_PERSON:
        return None
    if kind in TEXT_TYPES:
        if not isinstance(value, str) or not value.strip():
            return "empty text"
        if len(value) > (question.max_length or 0):
            return "longer than its limit"
        if _CONTROL.search(value):
            return "a control character"
        if kind == "short_text" and "\n" in value:
            return "a line break in a short answer"
        return None
    if kind in ("single_choice", "yes_no"):
        return None if value in question.option_values() else "not one of the options"
    if kind == "multiple_choice":
        allowed = question.option_values()
        ok = (isinstance(value, list) and value and len(set(value)) == len(value)
              and all(item in allowed for item in value))
        return None if ok else "not a set of the options"
    if kind == "frequency":
        ok = type(value) is int and 0 <= value <= 3
        return None if ok else "not 0 to 3"
    if kind == "date":
        try:
            day = datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            return "not a date"
        if day.isoformat() != value or day < datetime.date(1900, 1, 1):
            return "not a plain date from 1900 on"
        if question.not_future and day > datetime.date.today():  # noqa: DTZ011
            return "in the future"
        return None
    if kind == "number":
        low, high = question.min_value, question.max_value
        assert low is not None and high is not None, "the schema requires both for a number"
        ok = type(value) is int and low <= value <= high
        return None if ok else "not a whole number in range"
    if kind == "group":
        if not isinstance(value, list) or len(value) > (question.max_items or 0):
            return "not a list of at most max_items entries"
        children = {child.id: child for child in question.questions}
        for entry in value:
            if not isinstance(entry, dict) or not entry or set(entry) - set(children):
                return "an entry that is not a map of its questions"
            for key, item in entry.items():
                if problem := answer_problem(children[key], item):
                    return f"{key}: {problem}"
        return None
    return f"an unknown question type {kind}"


def intake_problems(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> list[str]:
    problems = []
    for question_id, value in answers.items():
        if not questionnaire.has_question(question_id):
            problems.append(f"{question_id}: not a question")
            continue
        if problem := answer_problem(questionnaire.question(question_id), value):
            problems.append(f"{question_id}: {problem} ({str(value)[:60]!r})")
    return problems


def text_problem(label: str, value: str | None, *, limit: int, required: bool,
                 minimum_visible: int = 1) -> str | None:
    """Why ``value`` is not acceptable stored text: a control character, over ``limit``, or
    (when ``required``) fewer than ``minimum_visible`` visible characters."""
    if value is None or value == "":
        return f"{label}: empty" if required else None
    if "\x00" in value or _CONTROL.search(value):
        return f"{label}: a control character"
    if len(value) > limit:
        return f"{label}: longer than {limit}"
    if required and len(_visible(value)) < minimum_visible:
        return f"{label}: nothing visible ({value[:40]!r})"
    return None


def name_problems(label: str, name: str) -> list[str]:
    """A signature's typed name must be tidy, under 200 characters, free of control
    characters and hold at least one letter: a name is made of letters."""
    problems = [text_problem(label, name, limit=200, required=True)]
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        problems.append(f"{label}: a name without a letter ({name[:40]!r})")
    if name != " ".join(name.split()):
        problems.append(f"{label}: an untidy name {name[:40]!r}")
    return [problem for problem in problems if problem]


def stored_problems(world: World) -> list[str]:
    """Every stored value the portal's own rules would refuse, across what the forms write:
    intake answers and notes, signatures and authorizations, versions, settings,
    invitations, care teams, and client A (never erased by a wrong email)."""
    problems: list[str | None] = []  # text_problem answers None for a good value
    for intake in Intake.objects.select_related("questionnaire"):
        questionnaire = intake.questionnaire.questionnaire
        problems += [f"intake {intake.pk}: {p}"
                     for p in intake_problems(questionnaire, intake.answers)]
        if intake.state == IntakeState.SUBMITTED and intake.submitted_at is None:
            problems.append(f"intake {intake.pk}: submitted without a time")
    # Every acknowledgement's note, the one that closed its alert included.
    for acknowledgement in SafetyAlertAcknowledgement.objects.all():
        problems.append(text_problem("acknowledgement note", acknowledgement.note,
                                      limit=ACKNOWLEDGEMENT_NOTE_MAX_LENGTH, required=True))
    for signature in ConsentSignature.objects.select_related("version__document"):
        problems += name_problems(f"signature {signature.reference}", signature.typed_name)
        if signature.version.status != VersionStatus.PUBLISHED:
            problems.append(f"signature {signature.reference}: of a draft")
        if signature.sha256 != signature.version.sha256:
            problems.append(f"signature {signature.reference}: a hash that is not its version's")
        if signature.representative_name and not signature.representative_authority:
            problems.append(f"signature {signature.reference}: a representative without "
                            "authority")
        problems.append(text_problem("representative", signature.representative_name,
                                      limit=200, required=False))
        problems.append(text_problem("withdrawal reason", signature.withdrawal_reason,
                                      limit=1000, required=False))
    for details in ReleaseAuthorization.objects.all():
        for name in ("information", "discloser", "recipient", "purpose"):
            problems.append(text_problem(f"authorization {name}", getattr(details, name),
                                          limit=LIMITS[name], required=True,
                                          minimum_visible=2))
        if details.signature.expires_on is None and not details.expiry_event:
            problems.append("authorization: no end date or event")
    for version in ConsentVersion.objects.select_related("document"):
        if version.is_published and version.sha256 != version_hash(version):
            problems.append(f"version {version.pk}: published text changed")
        problems.append(text_problem("version summary", version.summary, limit=2000,
                                      required=True))
        problems.append(text_problem("version body", version.body, limit=100_000,
                                      required=True))
    for profile in ClientProfile.objects.all():
        if profile.legal_name is not None:
            problems += name_problems("profile legal name", profile.legal_name)
        for name in ("preferred_name", "pronouns", "phone", "address",
                     "emergency_contact_name", "emergency_contact_phone"):
            field = ClientProfile._meta.get_field(name)
            assert isinstance(field, Field) and field.max_length is not None, name
            problems.append(text_problem(f"profile {name}", getattr(profile, name),
                                          limit=field.max_length, required=False))
        born = profile.date_of_birth
        if born is not None and not datetime.date(1900, 1, 1) <= born <= timezone.localdate():
            problems.append("profile: a birth date out of range")
    for name in User.objects.exclude(display_name="").values_list("display_name", flat=True):
        problems += name_problems("staff display name", name)
    practice = PracticeSettings.load()
    problems.append(text_problem("practice name", practice.name, limit=120, required=True))
    problems.append(text_problem("crisis text", practice.crisis_text, limit=2000,
                                  required=False))
    if not 5 <= practice.idle_timeout_minutes <= 120:
        problems.append("practice: idle timeout out of range")
    if not 1 <= practice.safety_alert_draft_hours <= 168:
        problems.append("practice: safety alert hours out of range")
    if not (1 <= practice.intake_reminder_after_days <= 30
            and 1 <= practice.intake_reminder_every_days <= 30
            and 1 <= practice.intake_reminder_max <= 10
            and 1 <= practice.consent_expiry_reminder_days <= 90):
        problems.append("practice: a reminder setting out of range")
    for email in Invitation.objects.values_list("email", flat=True):
        try:
            validate_email(email)
        except Exception:
            problems.append(f"invitation: invalid email {email[:40]!r}")
    for assignment in CareAssignment.objects.select_related("client", "clinician"):
        if not assignment.client.groups.filter(name=Role.CLIENT.value).exists() or \
                not assignment.clinician.groups.filter(name=Role.CLINICIAN.value).exists():
            problems.append("care team: someone who is not a client and a clinician")
    client = User.objects.get(pk=world.people["client"].pk)
    kind, owner_id = client_owner(client.pk)
    if not client.is_active or DataKey.objects.filter(
        owner_kind=kind, owner_id=owner_id, destroyed_at__isnull=False
    ).exists():
        problems.append("client A was erased")
    return [problem for problem in problems if problem]


# --- Bytes that are not text ---------------------------------------------------------------------

# Byte sequences no UTF-8 decoder may accept, each for a reason. Sent percent-encoded (as a
# browser or script encodes a form) and raw; Django would store each as U+FFFD.
BAD_BYTES: tuple[tuple[str, bytes], ...] = (
    ("a byte that never starts a character", b"\xff"),
    ("a continuation byte alone", b"\x80"),
    ("a two-byte character cut short", b"\xc3"),
    ("a three-byte character cut short", b"\xe2\x82"),
    ("an overlong slash", b"\xc0\xaf"),
    ("an encoded surrogate (CESU-8)", b"\xed\xa0\x80"),
    ("an encoded low surrogate", b"\xed\xbf\xbf"),
    ("past U+10FFFF", b"\xf4\x90\x80\x80"),
    ("a byte-order mark of UTF-16", b"\xfe\xff"),
)
BOUNDARY = "hostileBoundary7MA4YWxk"


def percent_encoded(raw: bytes) -> bytes:
    return b"".join(b"%%%02X" % byte for byte in raw)


def urlencoded_with(fields: Mapping[str, str], name: str, bad: bytes, *,
                    raw: bool = False) -> bytes:
    """``fields`` urlencoded, the value of ``name`` followed by the bytes ``bad``
    (percent-encoded, or as they are with ``raw``)."""
    parts = []
    for key, value in {**fields, name: fields.get(name, "")}.items():
        encoded = urlencode({key: value}).encode()
        if key == name:
            encoded += bad if raw else percent_encoded(bad)
        parts.append(encoded)
    return b"&".join(parts)


def multipart_with(fields: Mapping[str, str], name: str, bad: bytes) -> bytes:
    """``fields`` as a multipart body (``BOUNDARY``), ``bad`` after the value of ``name``."""
    body = b""
    for key, value in {**fields, name: fields.get(name, "")}.items():
        content = value.encode() + (bad if key == name else b"")
        body += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{key}\"\r\n\r\n"
                 .encode() + content + b"\r\n")
    return body + f"--{BOUNDARY}--\r\n".encode()


def replacement_characters() -> list[str]:
    """Every stored value (decrypted, JSON included) holding U+FFFD, the character a lenient
    decoder puts in place of bytes it could not read: ``table.column`` of each."""
    found = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy or model is Session:
            continue
        fields = [f for f in model._meta.concrete_fields if not f.is_relation]
        for row in model._base_manager.all():
            for column in fields:
                value = getattr(row, column.attname)
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                if "\ufffd" in text:
                    found.append(f"{model._meta.db_table}.{column.column}")
    return found
