"""The scale data set (issue 21, "Scale"): thousands of clients and a long audit trail, built
in minutes on a small machine, for measuring the staff lists, the blind-index search and a
client's "Who has opened my record" at the size a busy practice reaches.

What is built, and how (``seed_scale``):

* **Staff**: practice admins and clinicians, each with a verified email and an authenticator
  app (TOTP; the secrets are random and never printed: the measurement signs its staff in
  with a secret of its own, ``evidence.scale``).
* **Clients**, in batches of ``batch`` in one transaction each: the account (role, verified
  email), a profile with a legal name, a date of birth and a phone sealed under the client's
  own data key (created on first use, as everywhere) through the real encrypted fields, its
  blind indexes and its legal name's word index (``ClientNameToken``), a clinician on the
  care team (round robin), and for most an intake: about six in ten sent (a few raising a
  safety alert, some marked reviewed), a quarter as drafts part-way through, the rest none.
* **The audit trail**, through the audit writer only (``record_event``, and ``record_events``
  for a batch of one action by one actor about many clients): the care-team assignments, each
  sent intake's ``intake.submitted``, then staff opening their clients' profiles, intakes and
  consent records, and admins opening any client's, until the trail holds ``events`` events.
  The chain is the real one: ``verify_audit_log`` walks it.

Bulk paths where one at a time would take hours, the encryption untouched: rows are written
with ``bulk_create``, whose inserts still seal each value in the field's ``pre_save`` under
its owner's key, bound to its row and field. Two intakes (the first two clients') are made
through the real intake services, page by page and sent (scored, flagged, audited, their care
team emailed); every other intake copies one of them, with the client's own details in the
"About you" answers, and is sealed under its own client's key.

Run again on the same database, it adds ``clients`` more clients after those there, cared for
by the same staff, their intakes copied from the same two templates, and records openings of
the new clients until the trail holds ``events`` events (tests grow the data set this way to
show a page's queries do not grow with it).

What is not built at this size: consent signatures (the clients have none: the list shows
what each must sign), couples and families, check-ins, invitations.

Passwords: Argon2 is deliberately slow (tens of milliseconds a hash), so no account gets a
hash of its own. With ``password`` every account shares one hash computed once; without it
every account has an unusable password (no sign-in by password at all).
"""

from __future__ import annotations

import datetime
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from consents.defaults import install_default_documents
from demo.scenarios import DEMO_PRACTICE_SETTINGS, MILD, SAFETY_ITEM_9, answers, save_pages
from intake.models import Intake, IntakeState, SafetyAlert
from intake.services import intake_submit
from portal.audit.actions import Action
from portal.audit.models import AuditChainHead
from portal.audit.service import record_event, record_events
from portal.crypto.datakeys import key_scope
from portal.models import CareAssignment, ClientNameToken, ClientProfile, PracticeSettings, User
from portal.roles import Role, grant_role

SCALE_DOMAIN = "scale.example.org"
USER_TARGET = "portal.user"
RANDOM_SEED = 20240621

# Names to draw legal names from: 60 first names and 120 family names, so a family name is
# shared by about 80 of 10,000 clients (a search has real candidates to tell apart) and a
# first and family name together by one or two.
FIRST_NAMES = (
    "Ada", "Amara", "Ana", "Ari", "Beatriz", "Ben", "Carmen", "Chen", "Dana", "Dario",
    "Eli", "Elena", "Farah", "Felix", "Gabriel", "Grace", "Hana", "Hugo", "Ines", "Ivan",
    "Jamal", "Jana", "Kai", "Kira", "Lena", "Luis", "Maya", "Mateo", "Nadia", "Noah",
    "Olga", "Omar", "Paula", "Pedro", "Quinn", "Rosa", "Ravi", "Sara", "Sami", "Tara",
    "Tomas", "Uma", "Victor", "Vera", "Wen", "Will", "Ximena", "Yara", "Yusuf", "Zoe",
    "Alex", "Bea", "Cleo", "Dev", "Esme", "Finn", "Gia", "Hal", "Iris", "Jude",
)
FAMILY_NAMES = tuple(
    first + second
    for first in ("Al", "Bar", "Cor", "Del", "Es", "Fen", "Gar", "Hol", "Ir", "Jar",
                  "Kel", "Lor")
    for second in ("bright", "dale", "field", "ford", "ham", "ley", "man", "mont", "ton",
                   "wood")
)
# Of every 100 clients: 60 have sent their intake (3 of them with a safety alert, 20 of them
# reviewed by their clinician), 25 have a draft, 15 have not started.
SENT_PER_100, DRAFTS_PER_100, ALERTS_PER_100, REVIEWED_PER_100 = 60, 25, 3, 20
DRAFT_SECTIONS = ("about_you", "what_brings_you", "feelings", "safety", "relationships")
# Record-access actions staff take on a client's record: what "Who has opened my record"
# lists.
OPENINGS = (Action.CLIENT_PROFILE_VIEWED, Action.INTAKE_VIEWED, Action.CONSENT_VIEWED)


def client_email(number: int) -> str:
    return f"client.{number:05d}@{SCALE_DOMAIN}"


def clinician_email(number: int) -> str:
    return f"clinician.{number:02d}@{SCALE_DOMAIN}"


def admin_email(number: int) -> str:
    return f"admin.{number}@{SCALE_DOMAIN}"


def _slot(number: int) -> int:
    """Where client ``number`` falls among every 100 (``SENT_PER_100`` ...): 37 is prime to
    100, so any run of 100 clients takes each slot once, and a short run a mix of them."""
    return (number * 37) % 100


@dataclass
class ScaleReport:
    """What was built and how long each step took (seconds)."""

    clients: int = 0
    clinicians: int = 0
    admins: int = 0
    sent: int = 0
    drafts: int = 0
    alerts: int = 0
    events: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Template:
    """A stored intake made through the real services, copied for other clients."""

    answers: dict[str, Any]
    scores: list[Any] | None


def _profile_values(number: int, rng: random.Random) -> dict[str, Any]:
    first = FIRST_NAMES[rng.randrange(len(FIRST_NAMES))]
    family = FAMILY_NAMES[rng.randrange(len(FAMILY_NAMES))]
    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 55))
    return {"legal_name": f"{first} {family}", "date_of_birth": born,
            "phone": f"(555) {200 + number // 10000:03d}-{number % 10000:04d}"}


def profile_values(number: int) -> dict[str, Any]:
    """Client ``number``'s legal name, date of birth and phone (the same on every run), for
    the measurement to search by."""
    return _profile_values(number, random.Random(f"{RANDOM_SEED}-{number}"))  # noqa: S311  # nosec B311 - made-up names, not secrets


def _staff(role: Role, email: str, name: str, password_hash: str) -> User:
    user = User.objects.create_user(email, None, display_name=name)
    user.password = password_hash
    user.save(update_fields=["password"])
    grant_role(user, role)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    TOTP.activate(user, generate_totp_secret())
    return user


def _practice() -> None:
    practice = PracticeSettings.load()
    for name, value in DEMO_PRACTICE_SETTINGS.items():
        setattr(practice, name, value)
    practice.name = "Scale practice"
    practice.save()
    install_default_documents(publish=True)


def _sent_through_services(client: User, values: dict[str, Any], feelings: Any) -> _Template:
    """One intake made the way a client makes it: each page saved, then sent (scored,
    flagged, audited, the care team emailed). Its stored answers become a template."""
    pages = answers(values, words="Trouble sleeping since the move.", feelings=feelings)
    intake = save_pages(client, pages)
    sent = intake_submit(intake_id=intake.pk, client=client, revision=intake.revision)
    return _Template(answers=dict(sent.answers), scores=sent.scores)


def _own_answers(template: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The template's answers with this client's own details where "About you" holds the
    template client's (in the stored form: a date as ISO text)."""
    own = dict(template)
    for name, value in values.items():
        if name in own:
            own[name] = value.isoformat() if isinstance(value, datetime.date) else value
    return own


def _draft_answers(template: dict[str, Any], questionnaire_pages: dict[str, set[str]],
                   reached: str) -> dict[str, Any]:
    """The answers of the pages up to and including ``reached``."""
    kept: set[str] = set()
    for section in DRAFT_SECTIONS:
        kept |= questionnaire_pages.get(section, set())
        if section == reached:
            break
    return {name: value for name, value in template.items() if name in kept}


def _analyze() -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load, as autovacuum would a
    while later: without them the planner guesses from an empty table (it chose a bitmap
    scan of a million rows for one client's "Who has opened my record")."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _pages_of(intake: Intake) -> dict[str, set[str]]:
    """The question ids on each page of ``intake``'s questionnaire."""
    return {section.id: {question.id for question in section.questions}
            for section in intake.questionnaire.questionnaire.sections}


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class _Seeder:
    def __init__(self, *, clients: int, events: int, clinicians: int, admins: int,
                 batch: int, password_hash: str, progress: Callable[[str], None]) -> None:
        self.clients, self.events, self.batch = clients, events, batch
        self.clinician_count, self.admin_count = clinicians, admins
        self.password_hash = password_hash
        self.progress = progress
        self.report = ScaleReport()
        self.staff: list[User] = []
        self.clinicians: list[User] = []
        self.caseloads: dict[uuid.UUID, list[uuid.UUID]] = {}
        self.client_ids: list[uuid.UUID] = []
        self.templates: dict[str, _Template] = {}
        self.pages: dict[str, set[str]] = {}
        self.questionnaire_id: Any = None
        self.first_number = 1

    def step(self, name: str, started: float) -> None:
        took = time.monotonic() - started
        self.report.seconds[name] = round(took, 1)
        self.progress(f"{name}: {took:.1f} s")

    def run(self) -> ScaleReport:
        begun = time.monotonic()
        started = time.monotonic()
        with transaction.atomic(), key_scope():
            if User.objects.filter(email=admin_email(1)).exists():
                self._load_existing()
            else:
                self._first_run()
        self.step("practice and staff", started)

        started = time.monotonic()
        client_group = Group.objects.get(name=Role.CLIENT.value)
        last = self.first_number + self.clients - 1
        for first in range(self.first_number, last + 1, self.batch):
            numbers = range(first, min(first + self.batch, last + 1))
            with transaction.atomic(), key_scope():
                self._client_batch(numbers, client_group)
            if numbers[-1] % 1000 < self.batch or numbers[-1] == last:
                self.progress(f"  clients: {numbers[-1] - self.first_number + 1:,} of "
                              f"{self.clients:,} ({time.monotonic() - started:.0f} s)")
        self.report.clients = len(self.client_ids)
        self.step("clients, profiles, intakes", started)

        started = time.monotonic()
        self._openings()
        self.report.events = AuditChainHead.objects.values_list("last_seq", flat=True).get()
        self.step("audit trail", started)

        started = time.monotonic()
        _analyze()
        self.step("planner statistics (ANALYZE)", started)
        self.report.seconds["total"] = round(time.monotonic() - begun, 1)
        return self.report

    def _first_run(self) -> None:
        _practice()
        admins = [_staff(Role.PRACTICE_ADMIN, admin_email(n), f"Admin {n}",
                         self.password_hash) for n in range(1, self.admin_count + 1)]
        self.clinicians = [
            _staff(Role.CLINICIAN, clinician_email(n), f"Dr. Clinician {n:02d}",
                   self.password_hash) for n in range(1, self.clinician_count + 1)]
        self.staff = [*admins, *self.clinicians]
        self.report.admins, self.report.clinicians = len(admins), len(self.clinicians)

    def _load_existing(self) -> None:
        """A second run adds clients after the existing ones, cared for by the same staff,
        their intakes copied from the same two templates (read back, decrypted, from the
        first two clients' intakes)."""
        staff = User.objects.filter(email__endswith=f"@{SCALE_DOMAIN}").exclude(
            email__startswith="client.")
        admins = sorted((user for user in staff if user.email.startswith("admin.")),
                        key=lambda user: user.email)
        self.clinicians = sorted((user for user in staff
                                  if user.email.startswith("clinician.")),
                                 key=lambda user: user.email)
        self.staff = [*admins, *self.clinicians]
        self.first_number = User.objects.filter(
            email__startswith="client.", email__endswith=f"@{SCALE_DOMAIN}").count() + 1
        for name, number in (("mild", 1), ("alert", 2)):
            sent = Intake.objects.get(client__email=client_email(number),
                                      state=IntakeState.SUBMITTED)
            self.templates[name] = _Template(answers=dict(sent.answers), scores=sent.scores)
            self.questionnaire_id = sent.questionnaire_id
            self.pages = _pages_of(sent)

    # --- clients ----------------------------------------------------------------------------

    def _client_batch(self, numbers: range, client_group: Group) -> None:
        """One batch of clients, in one transaction and key scope (each client's new data key
        is created once and cached for the batch)."""
        now = timezone.now()
        users = [User(email=client_email(n), password=self.password_hash,
                      date_joined=now - datetime.timedelta(days=n % 700))
                 for n in numbers]
        User.objects.bulk_create(users)
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=user.pk, group_id=client_group.pk) for user in users])
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=user, email=user.email, primary=True, verified=True)
             for user in users])
        values = {user.pk: profile_values(n) for n, user in zip(numbers, users, strict=True)}
        # Sealed in bulk_create's pre_save, each value under its client's own data key.
        profiles = ClientProfile.objects.bulk_create(
            [ClientProfile(user=user, **values[user.pk]) for user in users])
        ClientNameToken.replace_for(profiles)
        assignments = []
        for n, user in zip(numbers, users, strict=True):
            clinician = self.clinicians[n % len(self.clinicians)]
            assignments.append(CareAssignment(client=user, clinician=clinician))
            self.caseloads.setdefault(clinician.pk, []).append(user.pk)
        CareAssignment.objects.bulk_create(assignments)
        for clinician in self.clinicians:
            mine = [a.client_id for a in assignments if a.clinician_id == clinician.pk]
            record_events(Action.CLIENT_ASSIGNED, actor=None, subjects=mine,
                          target=(USER_TARGET, clinician.pk))
        self.client_ids.extend(user.pk for user in users)
        self._intakes(numbers, users, values)

    def _intakes(self, numbers: range, users: list[User],
                 values: dict[uuid.UUID, dict[str, Any]]) -> None:
        if not self.templates:
            self._make_templates(users[:2], values)
            numbers, users = numbers[2:], users[2:]
        now = timezone.now()
        intakes, alerts, sent_by = [], [], []
        for n, user in zip(numbers, users, strict=True):
            slot = _slot(n)
            if slot >= SENT_PER_100 + DRAFTS_PER_100:
                continue
            sent = slot < SENT_PER_100
            alert = slot < ALERTS_PER_100
            template = self.templates["alert" if alert else "mild"]
            own = _own_answers(template.answers, values[user.pk])
            created = now - datetime.timedelta(days=n % 300, minutes=n % 1440)
            clinician = self.clinicians[n % len(self.clinicians)]
            if sent:
                reviewed = ALERTS_PER_100 <= slot < ALERTS_PER_100 + REVIEWED_PER_100
                intake = Intake(
                    client=user, questionnaire_id=self.questionnaire_id,
                    state=IntakeState.SUBMITTED, revision=8, answers=own,
                    scores=template.scores, language="en", created_at=created,
                    submitted_at=created + datetime.timedelta(days=1),
                    reviewed_at=(created + datetime.timedelta(days=2)) if reviewed else None,
                    reviewed_by=clinician if reviewed else None)
                sent_by.append(user)
            else:
                reached = DRAFT_SECTIONS[n % len(DRAFT_SECTIONS)]
                intake = Intake(
                    client=user, questionnaire_id=self.questionnaire_id,
                    state=IntakeState.DRAFT, revision=n % 12 + 1, last_section=reached,
                    answers=_draft_answers(own, self.pages, reached), language="en",
                    created_at=created)
            intakes.append(intake)
            if alert:
                alerts.append(SafetyAlert(
                    intake=intake, client=user, source=SafetyAlert.Source.INTAKE,
                    raised_at=created + datetime.timedelta(days=1),
                    emailed_at=created + datetime.timedelta(days=1),
                    trigger=SafetyAlert.Trigger.SUBMITTED))
        # Sealed in bulk_create's pre_save, each intake under its own client's data key.
        Intake.objects.bulk_create(intakes)
        SafetyAlert.objects.bulk_create(alerts)
        sent_intakes = {intake.client_id: intake for intake in intakes
                        if intake.state == IntakeState.SUBMITTED}
        for user in sent_by:
            record_event(Action.INTAKE_SUBMITTED, actor=user, subject=user,
                         target=sent_intakes[user.pk])
        self.report.sent += len(sent_by)
        self.report.drafts += len(intakes) - len(sent_by)
        self.report.alerts += len(alerts)

    def _make_templates(self, users: list[User], values: dict[uuid.UUID, dict[str, Any]]) -> None:
        """The first two clients send their intakes through the real services (a mild one,
        and one whose safety answer raises an alert): the templates of every other intake."""
        mild, alert = users
        self.templates["mild"] = _sent_through_services(mild, values[mild.pk], MILD)
        self.templates["alert"] = _sent_through_services(alert, values[alert.pk],
                                                         SAFETY_ITEM_9)
        self.report.sent += 2
        self.report.alerts += 1
        sent = Intake.objects.get(client=mild)
        self.questionnaire_id = sent.questionnaire_id
        self.pages = _pages_of(sent)

    # --- the audit trail ------------------------------------------------------------------

    def _openings(self) -> None:
        """Staff opening records until the trail holds ``events`` events: each round, every
        clinician signs in and opens one kind of record of each client on their caseload,
        and each admin opens one kind of record of a slice of the practice's clients, one
        ``record_events`` batch per actor and kind (the chain written as one-by-one
        recording would write it)."""
        head = AuditChainHead.objects.filter(pk=1)
        recorded = head.values_list("last_seq", flat=True).first() or 0
        admins = [user for user in self.staff if user not in self.clinicians]
        next_report = (recorded // 100_000 + 1) * 100_000
        turn = 0
        slice_size = max(1, len(self.client_ids) // 10)
        while recorded < self.events:
            action = OPENINGS[turn % len(OPENINGS)]
            for actor in self.staff:
                if recorded >= self.events:
                    break
                if actor in admins:
                    start = (turn * slice_size) % max(1, len(self.client_ids))
                    subjects = self.client_ids[start:start + slice_size]
                else:
                    subjects = self.caseloads.get(actor.pk, [])
                with transaction.atomic():
                    record_event(Action.AUTH_LOGIN, actor=actor, detail={"method": "password"})
                    recorded += 1
                    for chunk in _chunks(subjects[:max(0, self.events - recorded)], 2000):
                        recorded += record_events(action, actor=actor, subjects=list(chunk))
                if recorded >= next_report:
                    self.progress(f"  audit events: {recorded:,} of {self.events:,}")
                    next_report = (recorded // 100_000 + 1) * 100_000
            turn += 1


def seed_scale(*, clients: int, events: int, clinicians: int = 20, admins: int = 2,
               batch: int = 500, password: str | None = None,
               progress: Callable[[str], None] = print) -> ScaleReport:
    """Build the scale data set on the configured database (see the module docstring).

    ``password``: every account's password, hashed once and the hash shared (Argon2 for
    10,000 accounts would take minutes of CPU for nothing); ``None`` gives every account an
    unusable password. On a database that holds a scale data set already, adds
    ``clients`` more clients after those there (cared for by the same staff) and tops the
    trail up to ``events``.
    """
    password_hash = make_password(password)  # None: an unusable password
    return _Seeder(clients=clients, events=events, clinicians=clinicians, admins=admins,
                   batch=batch, password_hash=password_hash, progress=progress).run()
