"""The consent register: where every active client stands with every document, in a fixed
number of queries however many clients the practice has.

``consent_state`` is the one statement of the rule (signed, updated, resign, outstanding,
withdrawn, unavailable). It works on plain values (``VersionFacts``, ``SignatureFacts``), so
``consents.services.consent_statuses`` can be pointed at it too. ``build_register`` reads
published versions, signatures and client accounts as values (four queries in all,
nothing decrypted: typed names and the like are never needed to know who signed what) and
applies the rule in Python.

Languages: a document's text in each language is its own version. A client's standing
rests on the language of the version they signed (a material change in English asks again
only those whose signature is of an English version, and the same for Spanish), and a
reader is offered the version in their own language, else the practice's (``reading_order``).

Reminders live here too: they chase exactly what the register says is missing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consents.audience import INDIVIDUAL, Audience, audiences
from consents.models import (
    ConsentDocument,
    ConsentSignature,
    ConsentVersion,
    Requirement,
    SignerSet,
    SignerSetPurpose,
    VersionStatus,
)
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.audit.service import record_event
from portal.i18n.languages import current_language, is_offered
from portal.mail import notify
from portal.mail.outbox import UNDELIVERABLE_DOMAIN_SUFFIX
from portal.models import Guardianship, PracticeSettings, User
from portal.roles import Role

# The states a client can be in with one document (the words ``consent_statuses`` uses).
SIGNED, UPDATED, RESIGN = "signed", "updated", "resign"
OUTSTANDING, WITHDRAWN, EXPIRED = "outstanding", "withdrawn", "expired"
UNAVAILABLE = "unavailable"
# Couples and families: a consent several people sign, some of whom have not yet (a
# child's second guardian); a document that is not for this person (``consents.audience``).
WAITING, NOT_NEEDED = "waiting", "not_needed"
# The client signed a document the practice has countersigned by a clinician; not yet.
COUNTERSIGN = "countersign"
STATE_LABELS = {
    SIGNED: _("Signed"),
    UPDATED: _("Signed (since updated without a material change)"),
    RESIGN: _("Must sign again (material change)"),
    OUTSTANDING: _("Never signed"),
    WITHDRAWN: _("Withdrawn"),
    EXPIRED: _("Expired"),
    UNAVAILABLE: _("No published version"),
    WAITING: _("Waiting for another guardian"),
    COUNTERSIGN: _("Waiting for the clinician's countersignature"),
    NOT_NEEDED: _("Not needed for this person"),
}
# When clients need a document, short enough for a table column.
NEEDED_LABELS: dict[str, Any] = {
    Requirement.BEFORE_INTAKE: _("Before the intake"),
    Requirement.BEFORE_FIRST_SESSION: _("Before the first session"),
    Requirement.OPTIONAL: _("Optional"),
}
# What the admin chases: never signed, must sign again, or past its end date. A withdrawal
# is the client's own decision and is listed, but never answered with an automatic reminder.
REMIND_STATES = frozenset({OUTSTANDING, RESIGN, EXPIRED})
ATTENTION_STATES = (OUTSTANDING, RESIGN, EXPIRED, WITHDRAWN, WAITING, COUNTERSIGN)


@dataclass(frozen=True)
class VersionFacts:
    """A published version, as plain values."""

    id: uuid.UUID
    document_id: uuid.UUID
    number: int
    material_change: bool
    effective_date: date
    published_at: datetime
    sha256: str
    language: str = "en"

    @property
    def language_name(self) -> str:
        """The name of the version's language, in that language ("Español")."""
        return str(dict(settings.LANGUAGES).get(self.language, self.language))


@dataclass(frozen=True)
class SignatureFacts:
    """A signature, as plain (unencrypted) values."""

    id: uuid.UUID
    client_id: uuid.UUID
    version_id: uuid.UUID
    signed_at: datetime
    withdrawn_at: datetime | None
    reference: str
    sha256: str
    expires_on: date | None = None

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    def in_force(self, today: date) -> bool:
        """Not withdrawn, and not past its last day."""
        return self.withdrawn_at is None and (self.expires_on is None or self.expires_on >= today)


def reading_language(language: str | None = None) -> str:
    """An offered language code for ``language`` (default: the active language), reduced
    to its base ("es-mx" reads "es"); the practice's default when it is not offered."""
    code = (language or current_language() or "").lower()
    for candidate in (code, code.split("-")[0]):
        if is_offered(candidate):
            return candidate
    return str(settings.LANGUAGE_CODE)


def reading_order(language: str | None = None) -> list[str]:
    """Which language's version a reader of ``language`` is offered, first choice first:
    their own, then the practice's default, then any other the portal offers (a document
    published in one language only is still readable by everyone)."""
    first = reading_language(language)
    order = [first, settings.LANGUAGE_CODE, *(code for code, _name in settings.LANGUAGES)]
    return list(dict.fromkeys(order))


def newest_by_language(versions: Iterable[Any]) -> dict[str, Any]:
    """The newest (highest-numbered) of published ``versions`` in each language: model
    rows or ``VersionFacts``, returned as given."""
    newest: dict[str, Any] = {}
    for version in versions:
        if (version.language not in newest
                or version.number > newest[version.language].number):
            newest[version.language] = version
    return newest


def choose_for_reader(newest: dict[str, Any], language: str | None = None) -> Any:
    """Of each language's newest version (``newest_by_language``), the one a reader of
    ``language`` (default: the active language) is offered (``reading_order``), if any."""
    for code in reading_order(language):
        if code in newest:
            return newest[code]
    return None


def consent_state(
    published: Sequence[VersionFacts],
    signatures: Sequence[SignatureFacts],
    today: date | None = None,
    waiting_versions: Mapping[uuid.UUID, str] | None = None,
) -> tuple[str, SignatureFacts | None]:
    """Where one client stands with one document, and their latest signature in force.

    ``published`` are the document's published versions (any order, every language),
    ``signatures`` the client's signatures of that document (any order), ``today`` the
    practice-local date (default: now). The client's standing rests on the language of
    the version they signed, and only versions in that language count: the current
    version is the highest number in it. The client has signed it ("signed"); or signed
    an earlier version and every version published since in that language is a
    non-material change ("updated", nothing to do); or some later version in that language
    is a material change ("resign"); or never signed ("outstanding"); or every signature
    not withdrawn is past its last day ("expired", an authorization's end date needs no
    job to take effect); or withdrew every signature they gave ("withdrawn"). No published
    version: "unavailable".

    Decision: a client who signed the English text and later chose Spanish keeps their
    English signature ("signed") until a material change in English: what they agreed to
    has not changed, and a Spanish text published meanwhile is a translation of it, not a
    new agreement. A material change in Spanish never asks an English signer again, and
    the other way round.

    ``waiting_versions``: versions of a consent several people sign that some have signed
    and others not yet (``signer_set_facts``), each with what it waits for ("waiting" for
    another guardian or partner, "countersign" for a clinician). When one of them is still
    the current version of its language, anything short of "signed" or "updated" reads
    so: the consent is on its way, and still does not count.
    """
    state, active = _state(published, signatures, today)
    if state not in (SIGNED, UPDATED, UNAVAILABLE) and waiting_versions:
        for current in newest_by_language(published).values():
            if current.id in waiting_versions:
                return waiting_versions[current.id], active
    return state, active


def _state(
    published: Sequence[VersionFacts],
    signatures: Sequence[SignatureFacts],
    today: date | None,
) -> tuple[str, SignatureFacts | None]:
    if not published:
        return UNAVAILABLE, None
    today = today or timezone.localdate()
    active = max((s for s in signatures if s.in_force(today)), key=lambda s: s.signed_at,
                 default=None)
    if active is None:
        if any(s.is_active for s in signatures):
            return EXPIRED, None
        return (WITHDRAWN if signatures else OUTSTANDING), None
    signed = next(version for version in published if version.id == active.version_id)
    same_language = [version for version in published if version.language == signed.language]
    current = max(same_language, key=lambda version: version.number)
    if active.version_id == current.id:
        return SIGNED, active
    newer_material = any(version.material_change and version.number > signed.number
                         for version in same_language)
    return (RESIGN if newer_material else UPDATED), active


@dataclass(frozen=True)
class RegisterEntry:
    """One client and one document."""

    client_id: uuid.UUID
    document: ConsentDocument
    current: VersionFacts | None
    state: str
    signature: SignatureFacts | None  # the latest active signature
    latest: SignatureFacts | None  # the latest signature, withdrawn or not
    signed_version: VersionFacts | None  # the version ``signature or latest`` is for

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def required(self) -> bool:
        """Required of this client: a document that is not for them never is."""
        return self.state != NOT_NEEDED and self.document.requirement != Requirement.OPTIONAL

    @property
    def needs_reminder(self) -> bool:
        """A required document never signed, to sign again after a material change, or
        past its end date."""
        return self.required and self.state in REMIND_STATES


@dataclass(frozen=True)
class DocumentSummary:
    document: ConsentDocument
    current: VersionFacts | None  # in the practice's default language (else another)
    signed: int  # the current version, or an earlier one with only non-material changes
    outstanding: int  # a required document never signed, or to sign again
    not_signed: int  # an optional document never signed, or not since a material change
    withdrawn: int
    expired: int
    clients: int
    # The version in force in each language, in the order the portal offers them.
    by_language: tuple[VersionFacts, ...] = ()

    @property
    def optional(self) -> bool:
        return self.document.requirement == Requirement.OPTIONAL

    @property
    def needed_label(self) -> str:
        """When clients need the document, in a few words (a dashboard column)."""
        return str(NEEDED_LABELS[self.document.requirement])


def in_offered_order(newest: dict[str, VersionFacts]) -> tuple[VersionFacts, ...]:
    """Each language's version, in the order of ``settings.LANGUAGES`` (others last)."""
    order = {code: position for position, (code, _name) in enumerate(settings.LANGUAGES)}
    return tuple(sorted(newest.values(),
                        key=lambda version: (order.get(version.language, len(order)),
                                             version.language)))


@dataclass
class Register:
    documents: list[ConsentDocument]
    # Per document: the version in force in the practice's default language (else in
    # another); ``currents``: the version in force in each language.
    current: dict[uuid.UUID, VersionFacts | None]
    emails: dict[uuid.UUID, str]  # the active client accounts, in email order
    entries: dict[tuple[uuid.UUID, uuid.UUID], RegisterEntry] = field(default_factory=dict)
    currents: dict[uuid.UUID, dict[str, VersionFacts]] = field(default_factory=dict)

    def entry(self, client_id: uuid.UUID, document: ConsentDocument) -> RegisterEntry:
        return self.entries[(client_id, document.id)]

    def for_client(self, client_id: uuid.UUID) -> list[RegisterEntry]:
        return [self.entry(client_id, document) for document in self.documents]

    def summaries(self) -> list[DocumentSummary]:
        """Per document, in order: the counts the dashboard shows. Clients who have not
        signed an optional document have nothing to sign: they are counted apart
        (``not_signed``), never as outstanding."""
        summaries = []
        for document in self.documents:
            states = [self.entry(client_id, document).state for client_id in self.emails]
            states = [state for state in states if state != NOT_NEEDED]
            unsigned = sum(state in (OUTSTANDING, RESIGN) for state in states)
            optional = document.requirement == Requirement.OPTIONAL
            summaries.append(DocumentSummary(
                document=document,
                current=self.current[document.id],
                signed=sum(state in (SIGNED, UPDATED) for state in states),
                outstanding=0 if optional else unsigned,
                not_signed=unsigned if optional else 0,
                withdrawn=states.count(WITHDRAWN),
                expired=states.count(EXPIRED),
                clients=len(states),
                by_language=in_offered_order(self.currents.get(document.id, {})),
            ))
        return summaries

    def rows(self) -> Iterable[RegisterEntry]:
        for client_id in self.emails:
            yield from self.for_client(client_id)


def active_clients(client_ids: Iterable[uuid.UUID] | None = None) -> QuerySet[User]:
    """Active client accounts (all, or those of ``client_ids``)."""
    clients = User.objects.filter(groups__name=Role.CLIENT.value, is_active=True)
    if client_ids is not None:
        clients = clients.filter(pk__in=list(client_ids))
    return clients


def published_versions() -> dict[uuid.UUID, list[VersionFacts]]:
    """Every published version as values, by document (one query)."""
    by_document: dict[uuid.UUID, list[VersionFacts]] = defaultdict(list)
    for row in ConsentVersion.objects.filter(status=VersionStatus.PUBLISHED).values(
        "id", "document_id", "number", "material_change", "effective_date", "published_at",
        "sha256", "language",
    ):
        # Published versions always have their number and publication time.
        by_document[row["document_id"]].append(VersionFacts(**cast(dict[str, Any], row)))
    return by_document


def signature_facts(
    signatures: QuerySet[ConsentSignature], versions: dict[uuid.UUID, VersionFacts]
) -> dict[tuple[uuid.UUID, uuid.UUID], list[SignatureFacts]]:
    """The signatures as values, by (client, document) (one query; nothing decrypted)."""
    grouped: dict[tuple[uuid.UUID, uuid.UUID], list[SignatureFacts]] = defaultdict(list)
    for row in signatures.values(
        "id", "client_id", "version_id", "signed_at", "withdrawn_at", "reference", "sha256",
        "expires_on",
    ):
        signature = SignatureFacts(**row)
        document_id = versions[signature.version_id].document_id
        grouped[(signature.client_id, document_id)].append(signature)
    return grouped


def signer_set_facts(
    people: QuerySet[User, Any] | Iterable[uuid.UUID], versions: dict[uuid.UUID, VersionFacts]
) -> tuple[dict[tuple[uuid.UUID, uuid.UUID], list[SignatureFacts]],
           dict[tuple[uuid.UUID, uuid.UUID], dict[uuid.UUID, str]]]:
    """The consents signed for ``people`` by several signers (``SignerSet`` with
    ``on_behalf_of``), as plain values, by (person, document), in two queries:

    - each *complete* set as one signature of the person (signed when the last required
      signer signed, withdrawn when the set was; its id and reference are those of the
      last signature, so the staff's copies open on it);
    - the versions of each set still *waiting* for a signer, with the state that names
      what for (``consent_state``'s ``waiting_versions``). A set withdrawn before it was
      complete never counted.
    """
    people_filter = people if isinstance(people, QuerySet) else list(people)
    sets = list(SignerSet.objects.filter(on_behalf_of__in=people_filter).values(
        "id", "on_behalf_of_id", "version_id", "completed_at", "withdrawn_at", "purpose"))
    last: dict[uuid.UUID, dict[str, Any]] = {}
    for signed in ConsentSignature.objects.filter(
        signer_set_id__in=[row["id"] for row in sets if row["completed_at"] is not None]
    ).order_by("signed_at").values("signer_set_id", "id", "reference", "sha256"):
        last[signed["signer_set_id"]] = dict(signed)
    facts: dict[tuple[uuid.UUID, uuid.UUID], list[SignatureFacts]] = defaultdict(list)
    waiting: dict[tuple[uuid.UUID, uuid.UUID], dict[uuid.UUID, str]] = defaultdict(dict)
    for row in sets:
        version = versions.get(row["version_id"])
        if version is None:
            continue
        key = (row["on_behalf_of_id"], version.document_id)
        if row["completed_at"] is not None and row["id"] in last:
            signature = last[row["id"]]
            facts[key].append(SignatureFacts(
                id=signature["id"], client_id=row["on_behalf_of_id"],
                version_id=row["version_id"], signed_at=row["completed_at"],
                withdrawn_at=row["withdrawn_at"], reference=signature["reference"],
                sha256=signature["sha256"],
            ))
        elif row["completed_at"] is None and row["withdrawn_at"] is None:
            waiting[key][row["version_id"]] = (
                COUNTERSIGN if row["purpose"] == SignerSetPurpose.COUNTERSIGN else WAITING)
    return facts, dict(waiting)


def facts_for(
    audience: Audience,
    client_id: uuid.UUID,
    document: ConsentDocument,
    own: dict[tuple[uuid.UUID, uuid.UUID], list[SignatureFacts]],
    for_them: dict[tuple[uuid.UUID, uuid.UUID], list[SignatureFacts]],
) -> list[SignatureFacts]:
    """The signatures that count for one person and document: their own (unless their
    guardians sign it for them: a minor's own signature is not that consent), and every
    complete set signed for them."""
    key = (client_id, document.id)
    theirs = [] if audience.signed_by_guardians(document.kind) else list(own.get(key, []))
    return theirs + list(for_them.get(key, []))


def build_register(*, client_ids: Iterable[uuid.UUID] | None = None) -> Register:
    """The register of the active client accounts (all, or those of ``client_ids``) in a
    fixed number of queries: documents, published versions, client accounts, their own
    signatures, the signatures several people gave for them (``signer_set_facts``) and
    their places in cases (``consents.audience``); as values, nothing is decrypted. A
    document that is not for a client (``Audience.applies``) reads "not needed"."""
    documents = list(ConsentDocument.objects.all())
    published_by_document = published_versions()
    versions = {v.id: v for listed in published_by_document.values() for v in listed}
    clients = active_clients(client_ids)
    emails = dict(clients.order_by("email").values_list("pk", "email"))
    # A subquery, not a list of ids: no parameter limit however many clients.
    signatures = signature_facts(
        ConsentSignature.objects.filter(client__in=clients.values("pk"),
                                        signer_set__isnull=True), versions
    )
    for_them, waiting = signer_set_facts(clients.values("pk"), versions)
    audience_of = audiences(clients.values("pk"))
    currents = {d.id: newest_by_language(published_by_document[d.id]) for d in documents}
    register = Register(
        documents=documents,
        current={d.id: choose_for_reader(currents[d.id], settings.LANGUAGE_CODE)
                 for d in documents},
        emails=emails,
        currents=currents,
    )
    today = timezone.localdate()
    for document in documents:
        published = published_by_document[document.id]
        for client_id in emails:
            audience = audience_of.get(client_id, INDIVIDUAL)
            theirs = facts_for(audience, client_id, document, signatures, for_them)
            if audience.applies(document.kind):
                state, active = consent_state(published, theirs, today,
                                              waiting.get((client_id, document.id)))
            else:
                state, active = NOT_NEEDED, None
            latest = max(theirs, key=lambda s: s.signed_at, default=None)
            shown = active or latest
            register.entries[(client_id, document.id)] = RegisterEntry(
                client_id=client_id, document=document, current=register.current[document.id],
                state=state, signature=active, latest=latest,
                signed_version=versions[shown.version_id] if shown else None,
            )
    return register


def _reminder_addresses(client_id: uuid.UUID, email: str) -> list[str]:
    """Who is reminded about ``client_id``'s documents: the client, or, for a child's
    record that has no mailbox (an address under ``.invalid``), the guardians the practice
    needs to sign for them."""
    if not email.lower().endswith(UNDELIVERABLE_DOMAIN_SUFFIX):
        return [email]
    return sorted(set(Guardianship.objects.filter(
        child_id=client_id, signs_for_child=True, guardian__person__is_active=True,
    ).values_list("guardian__person__email", flat=True)))


def _send_reminder(addresses: list[str], practice: PracticeSettings) -> None:
    """Queue the reminder for after the commit. It says only that documents are waiting:
    no document name, no state, no link (an email is read on shared screens)."""
    notify(addresses, template="consents/email/reminder", context={"practice": practice})


# A client is reminded at most once in this time, however often the admin clicks.
REMINDER_INTERVAL = timedelta(hours=24)


def last_reminded(client_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID | None, datetime]:
    """When each of ``client_ids`` was last sent a consent reminder, from the audit trail
    (one query; clients never reminded are absent)."""
    return dict(
        AuditEvent.objects.filter(action=Action.CONSENT_REMINDED,
                                  subject_id__in=list(client_ids))
        .values("subject_id").annotate(last=Max("occurred_at"))
        .values_list("subject_id", "last")
    )


@dataclass(frozen=True)
class RemindersSent:
    sent: int
    recently_reminded: int  # had something to sign, but were reminded within the interval
    nothing_to_sign: int  # signed meanwhile, withdrew, inactive, or not a client


@transaction.atomic
def consent_reminders_send(*, client_ids: Iterable[uuid.UUID], actor: User) -> RemindersSent:
    """Email each of ``client_ids`` who still has a required document to sign (never
    signed, again after a material change, or past its end date), after the transaction
    commits, and record one ``consent.reminded`` event per client (subject = the client; no
    detail, so nothing about which documents). Inactive accounts, non-clients, clients with
    nothing to sign and clients who withdrew (their decision, not an oversight) get nothing;
    nor does anyone reminded within ``REMINDER_INTERVAL`` (a double click, or a second admin,
    must not flood a client's inbox). The caller checks that ``actor`` manages the
    practice. A child's record has no mailbox: their guardians who sign for them are
    reminded instead."""
    chosen = set(client_ids)
    register = build_register(client_ids=chosen)
    practice = PracticeSettings.load()
    recent_since = timezone.now() - REMINDER_INTERVAL
    previously = last_reminded(register.emails)
    sent = recent = 0
    for client_id, email in register.emails.items():
        if not any(entry.needs_reminder for entry in register.for_client(client_id)):
            continue
        if client_id in previously and previously[client_id] > recent_since:
            recent += 1
            continue
        addresses = _reminder_addresses(client_id, email)
        if not addresses:
            continue  # a child with no guardian to sign for them yet: no one to remind
        _send_reminder(addresses, practice)
        record_event(Action.CONSENT_REMINDED, actor=actor, subject=client_id)
        sent += 1
    return RemindersSent(sent, recent, len(chosen) - sent - recent)
