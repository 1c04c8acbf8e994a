"""Consent writes: publish a version, sign it, withdraw a signature; and each client's
consent status. Every write is audited in its own transaction.

The hash a signature carries is the SHA-256 of the version's canonical text (below), so
anyone holding the text can recompute it and show it is the text that was signed. A version
is one language's text (``ConsentVersion.language``, inside the hash); a client is offered
the version in the language they read (``current_version``).
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from consents.audience import Audience, audience_of
from consents.models import (
    CANONICAL_FORM_FIRST,
    CURRENT_CANONICAL_FORM,
    ConsentDocument,
    ConsentSignature,
    ConsentVersion,
    DocumentKind,
    RequiredSigner,
    Requirement,
    SignerRole,
    SignerSet,
    SignerSetPurpose,
    VersionStatus,
)
from consents.placeholders import PlaceholderError, find_placeholders
from consents.register import (
    COUNTERSIGN,
    WAITING,
    choose_for_reader,
    consent_state,
    facts_for,
    newest_by_language,
    published_versions,
    reading_language,
    signature_facts,
    signer_set_facts,
)
from consents.set_withdrawal import signer_set_withdraw
from portal.audit.actions import Action
from portal.audit.context import current_origin
from portal.audit.service import record_event
from portal.crypto.blind_index import normalise_name
from portal.i18n.languages import is_offered
from portal.models import ClientProfile, User
from portal.text import has_letter, without_control_characters

# The statement a client ticks, in English (the message id); ``agreement_statement`` gives
# it in the language of the page, which is what the signing pages show and what a
# signature stores, word for word.
AGREEMENT_STATEMENT = gettext_noop(
    "I have read this document, I understand it, and I agree to it. I am signing "
    "electronically by typing my name."
)


def agreement_statement() -> str:
    """The statement the client ticks, in the active language (the page's)."""
    return gettext(AGREEMENT_STATEMENT)


class SigningError(ValueError):
    """The signature cannot be taken; the message says what to do, in plain words."""


class VersionChanged(SigningError):
    """The document changed while the client was reading it."""


def _normalise_text(text: str) -> str:
    """NFC, LF line endings, no trailing spaces, exactly one final newline."""
    lines = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in lines.split("\n")).strip("\n") + "\n"


def canonical_text(version: ConsentVersion) -> str:
    """What a version's hash covers, as compact JSON with sorted keys: kind, title, number,
    effective date, summary and full text (normalised), and, from canonical form 2 on, the
    version's language: the same words in another language are another text, and a
    signature says which one was read.

    Each version keeps the form it was hashed with (``ConsentVersion.canonical_form``):
    form 1, for versions published before languages existed, is exactly the first recipe
    (the document's title, no language), so their stored SHA-256 still recomputes; form 2
    takes the version's own title (in its language) and adds ``"language"``."""
    content: dict[str, Any] = {
        "kind": version.document.kind,
        "title": version.document.title,
        "version": version.number,
        "effective_date": version.effective_date.isoformat(),
        "summary": _normalise_text(version.summary),
        "body": _normalise_text(version.body),
    }
    if version.canonical_form != CANONICAL_FORM_FIRST:
        content["title"] = version.display_title
        content["language"] = version.language
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(version: ConsentVersion) -> bytes:
    """The exact bytes a version's SHA-256 is taken over: its canonical text in UTF-8, with
    no byte order mark and no trailing newline. The signer's download of the text serves
    these bytes, so ``sha256sum`` on the file gives the fingerprint on their record."""
    return canonical_text(version).encode("utf-8")


def version_hash(version: ConsentVersion) -> str:
    return hashlib.sha256(canonical_bytes(version)).hexdigest()


def current_versions(document: ConsentDocument) -> dict[str, ConsentVersion]:
    """The version in force in each language the document is published in (one query)."""
    return newest_by_language(
        document.versions.filter(status=VersionStatus.PUBLISHED).select_related("document")
    )


def current_version(
    document: ConsentDocument, language: str | None = None, *, fallback: bool = True
) -> ConsentVersion | None:
    """The version a reader of ``language`` (default: the active language, the reader's
    own on their pages) is offered: the newest published in that language; else, unless
    ``fallback`` is False, the newest in the practice's default language (the page then
    says the document is not yet available in theirs), else in any other. None when
    nothing is published (in that language, without ``fallback``)."""
    newest = current_versions(document)
    if not fallback:
        return newest.get(reading_language(language))
    return choose_for_reader(newest, language)


def is_current(version: ConsentVersion) -> bool:
    """Whether ``version`` is the version in force in its language (published and not
    followed by a newer one in the same language): only such a version can be signed."""
    if not version.is_published:
        return False
    newest = current_version(version.document, version.language, fallback=False)
    return newest is not None and newest.pk == version.pk


@transaction.atomic
def version_publish(*, version: ConsentVersion, actor: User | None) -> ConsentVersion:
    """Publish a draft: it gets the next number for its document (numbers run across
    languages: ``ConsentVersion``), its title frozen (the document's when left blank), its
    hash (canonical form 2, with its language) and the time, and never changes again.
    Audited as ``document.published``. A version in a language the portal does not offer
    is refused (``ValueError``): no client could read it.

    A draft whose summary or text still holds a template placeholder (``[session fee]``,
    ``consents.placeholders``) is refused with ``PlaceholderError`` naming each one: a
    client must never read, and sign, a blank where a fee or a phone number should be.
    The hash covers the text as it stands, placeholders filled in."""
    version = ConsentVersion.objects.select_for_update().select_related("document").get(
        pk=version.pk
    )
    if version.is_published:
        return version
    if not is_offered(version.language):
        raise ValueError(f"Consent version {version.pk} is in a language not offered.")
    left = find_placeholders(version.summary, version.body)
    if left:
        raise PlaceholderError(left, version.language)
    ConsentDocument.objects.select_for_update().filter(pk=version.document_id).get()
    latest = version.document.versions.aggregate(latest=Max("number"))["latest"] or 0
    version.number = latest + 1
    version.title = version.title.strip() or version.document.title
    version.canonical_form = CURRENT_CANONICAL_FORM
    version.sha256 = version_hash(version)
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = actor
    version.save()
    record_event(Action.DOCUMENT_PUBLISHED, actor=actor, target=version,
                 detail={"version": str(version.number)})
    return version


@transaction.atomic
def document_countersign_set(
    *, document: ConsentDocument, required: bool, actor: User | None
) -> bool:
    """Whether a clinician of the client's care team countersigns each new signature of
    the document before it counts (``consents.countersign``). Audited as
    ``document.countersign_changed``. Returns False when nothing changed."""
    document = ConsentDocument.objects.select_for_update().get(pk=document.pk)
    if document.countersign_required == required:
        return False
    document.countersign_required = required
    document.save(update_fields=["countersign_required"])
    record_event(Action.DOCUMENT_COUNTERSIGN_CHANGED, actor=actor, target=document,
                 detail={"required": required})
    return True


@transaction.atomic
def document_requirement_set(
    *, document: ConsentDocument, requirement: str, actor: User | None
) -> bool:
    """Set when clients need a document (before the intake, before the first session, or
    optional); it takes effect at once for every client (the intake gate, the home page,
    the register and reminders all read it). Audited as ``document.requirement_changed``
    with the old and new setting. Returns False when nothing changed."""
    if requirement not in Requirement.values:
        raise ValueError(f"Unknown requirement {requirement!r}")
    document = ConsentDocument.objects.select_for_update().get(pk=document.pk)
    previous = document.requirement
    if previous == requirement:
        return False
    document.requirement = requirement
    document.save(update_fields=["requirement"])
    record_event(Action.DOCUMENT_REQUIREMENT_CHANGED, actor=actor, target=document,
                 detail={"requirement": requirement, "previous": previous})
    return True


def _name_on_record(client: User) -> str | None:
    """The client's legal name from their (encrypted) record, if they gave one."""
    profile = ClientProfile.objects.filter(user=client).first()
    return profile.legal_name if profile is not None and profile.legal_name else None


def _check_name(client: User, typed_name: str) -> str:
    """The typed name, tidied, if it can sign: 2 to 200 characters with at least one
    letter (digits, punctuation, emoji or invisible characters alone are no name), and the
    legal name on record, if there is one."""
    typed = " ".join(without_control_characters(typed_name).split())
    if len(typed) < 2 or len(typed) > 200 or not has_letter(typed):
        raise SigningError(gettext("Please type your full name to sign."))
    on_record = _name_on_record(client)
    if on_record is not None and normalise_name(typed) != normalise_name(on_record):
        raise SigningError(gettext(
            "The name you typed does not match the legal name in your record. Please type "
            "your full legal name (capital letters and spaces do not matter). If your name "
            "has changed, correct it on your details page first."
        ))
    return typed


@dataclass(frozen=True)
class CheckedSigning:
    """A signing request that passed every check: the version and the tidied names."""

    version: ConsentVersion
    typed_name: str
    representative_name: str
    representative_authority: str


def check_signing(
    *,
    client: User,
    version_id: Any,
    expected_sha256: str,
    typed_name: str,
    agreed: bool,
    representative_name: str = "",
    representative_authority: str = "",
) -> CheckedSigning:
    """Check a signature can be taken, as the document stood when the client read it
    (``expected_sha256``), refusing in plain words: a version that changed or was
    superseded meanwhile (``VersionChanged``), a missing tick, a name that does not match
    their record, a representative without their authority (``SigningError``)."""
    version = ConsentVersion.objects.select_related("document").get(pk=version_id)
    if not is_current(version) or version.sha256 != expected_sha256:
        raise VersionChanged(gettext(
            "This document was updated while you were reading it. Please read the new "
            "version before signing."
        ))
    if not agreed:
        raise SigningError(gettext("Please tick the box to show that you agree."))
    name = _check_name(client, typed_name)
    representative_name = " ".join(without_control_characters(representative_name).split())
    representative_authority = " ".join(
        without_control_characters(representative_authority).split()
    )
    if representative_name and not has_letter(representative_name):
        raise SigningError(
            gettext("Please type your own full name, as the person signing for them."))
    if representative_name and not representative_authority:
        raise SigningError(gettext(
            "Please say what gives you the authority to sign for this person (for example, "
            "parent or legal guardian)."
        ))
    return CheckedSigning(version, name, representative_name, representative_authority)


def store_signature(
    *, client: User, checked: CheckedSigning, expires_on: date | None = None,
    signer_set: SignerSet | None = None,
) -> ConsentSignature:
    """Write the signature of a checked request, with the request's IP address and user
    agent, all encrypted under the client's (the signer's) key, and audit it
    (``consent.signed``). One signature of a ``signer_set`` records it, and the person the
    set is for (``on_behalf_of``, a child) as the event's subject: the consent is about
    them. The caller holds the transaction."""
    origin = current_origin()
    on_behalf_of = signer_set.on_behalf_of if signer_set is not None else None
    signature = ConsentSignature.objects.create(
        client=client,
        version=checked.version,
        sha256=checked.version.sha256,
        statement=agreement_statement(),
        typed_name=checked.typed_name,
        representative_name=checked.representative_name or None,
        representative_authority=checked.representative_authority or None,
        ip_address=origin.ip_address,
        user_agent=origin.user_agent or None,
        expires_on=expires_on,
        signer_set=signer_set,
        on_behalf_of=on_behalf_of,
    )
    record_event(Action.CONSENT_SIGNED, actor=client, subject=on_behalf_of or client,
                 target=signature, detail={"version": str(checked.version.number)})
    return signature


@transaction.atomic
def consent_sign(
    *,
    client: User,
    version_id: Any,
    expected_sha256: str,
    typed_name: str,
    agreed: bool,
    representative_name: str = "",
    representative_authority: str = "",
) -> ConsentSignature:
    """Record the client's agreement to a published version, as the document stood when
    they read it (``expected_sha256``), after ``check_signing``. Signing the same version
    again returns the active signature. The typed name, representative details, IP address
    and user agent are stored encrypted; the statement, hash and time in plaintext as
    evidence. An authorization to release information is refused here: it is only valid
    with its details (``consents.authorizations.authorization_sign``)."""
    checked = check_signing(
        client=client, version_id=version_id, expected_sha256=expected_sha256,
        typed_name=typed_name, agreed=agreed, representative_name=representative_name,
        representative_authority=representative_authority,
    )
    if checked.version.document.kind == DocumentKind.RELEASE_AUTHORIZATION:
        raise SigningError(gettext(
            "An authorization to release information needs its details (what, to whom, "
            "why and until when). Please fill in the authorization form."
        ))
    if audience_of(client).signed_by_guardians(checked.version.document.kind):
        raise SigningError(gettext(
            "Your parent or guardian signs this document for you. You don't need to sign "
            "it yourself."
        ))
    existing = ConsentSignature.objects.filter(
        Q(signer_set__isnull=True)
        | Q(signer_set__on_behalf_of=client, signer_set__withdrawn_at__isnull=True),
        client=client, version=checked.version, withdrawn_at__isnull=True,
    ).first()
    if existing is not None:
        return existing
    if not checked.version.document.countersign_required:
        return store_signature(client=client, checked=checked)
    return _store_for_countersignature(client=client, checked=checked)


def _store_for_countersignature(*, client: User, checked: CheckedSigning) -> ConsentSignature:
    """The client's signature of a document the practice has a clinician countersign
    (``ConsentDocument.countersign_required``): it opens a set for the client needing
    their signature (given now) and a clinician's countersignature (a place any clinician
    of their care team fills: ``consents.countersign``); it counts only then. Decision:
    the setting applies to signatures given after it is turned on; earlier ones stand."""
    signer_set = SignerSet.objects.create(version=checked.version, on_behalf_of=client,
                                          created_by=client,
                                          purpose=SignerSetPurpose.COUNTERSIGN)
    signature = store_signature(client=client, checked=checked, signer_set=signer_set)
    RequiredSigner.objects.bulk_create([
        RequiredSigner(signer_set=signer_set, signer=client, role=SignerRole.CLIENT,
                       signature=signature),
        RequiredSigner(signer_set=signer_set, signer=None, role=SignerRole.CLINICIAN),
    ])
    return signature


@transaction.atomic
def consent_withdraw(*, client: User, signature_id: Any, reason: str = "") -> ConsentSignature:
    """Withdraw one of the client's own active signatures, effective now. Withdrawing again
    changes nothing. Another client's signature is not found (``DoesNotExist``).

    A signature that is one of several a consent needs (a guardian's for a child)
    withdraws the whole consent: ``consents.signer_sets.signer_set_withdraw`` marks the
    set withdrawn and emails the other signers, in this transaction."""
    signature = ConsentSignature.objects.select_for_update().select_related(
        "version__document"
    ).get(pk=signature_id, client=client)
    if signature.withdrawn_at is not None:
        return signature
    reason = without_control_characters(reason).strip()
    if len(reason) > 1000:
        raise SigningError(gettext("Please keep the reason to 1,000 characters."))
    signature.withdrawn_at = timezone.now()
    signature.withdrawal_reason = reason or None
    signature.save(update_fields=["withdrawn_at", "withdrawal_reason"])
    record_event(Action.CONSENT_WITHDRAWN, actor=client,
                 subject=signature.on_behalf_of_id or client, target=signature,
                 detail={"version": str(signature.version.number)})
    if signature.signer_set_id is not None:
        signer_set_withdraw(signer_set_id=signature.signer_set_id, by=client)
    return signature


@dataclass(frozen=True)
class ConsentStatus:
    document: ConsentDocument
    current: ConsentVersion | None
    signature: ConsentSignature | None  # the client's latest active signature, if any
    # signed | updated | resign | outstanding | expired | withdrawn | unavailable | waiting
    state: str
    # Signed for the client by their guardians (a minor): the signature is a guardian's.
    signed_by_guardians: bool = False

    @property
    def blocks(self) -> bool:
        """Must be signed before going on (required, and not signed, materially changed,
        expired or withdrawn)."""
        return state_blocks(self.document, self.state)


def state_blocks(document: ConsentDocument, state: str) -> bool:
    """Whether a document in ``state`` must be signed before going on (``ConsentStatus``'s
    ``blocks``)."""
    return (document.requirement != Requirement.OPTIONAL
            and state in ("outstanding", "resign", "expired", "withdrawn", WAITING, COUNTERSIGN))


def consent_statuses(client: User, language: str | None = None, *,
                     audience: Audience | None = None,
                     keep: Callable[[ConsentDocument, str], bool] | None = None,
                     ) -> list[ConsentStatus]:
    """Each document and where the client stands with it, by the register's one rule
    (``consents.register.consent_state``): signed the current version; signed an earlier
    one with only non-material changes since ("updated", not blocking); must sign again
    after a material change ("resign"); never signed ("outstanding"); or withdrew
    ("withdrawn"). A signature's standing rests on versions in its own language.

    ``current`` is the version the reader is offered: in ``language`` (default: the
    active language, the reader's own on their pages; a guardian reads their child's
    documents in theirs), else in the practice's (``consents.register.reading_order``).

    Only the documents that are for the client (``consents.audience``): a couple's secrets
    policy, an adolescent's assent. A minor's other documents count only as signed by
    every guardian the practice requires ("waiting" while some have not yet). A fixed
    number of queries however many documents. ``audience``: the client's
    (``audience_of``), when the caller has read it already. ``keep``: only the documents
    it accepts (given each document and its state) are returned, and only theirs are read
    in full (a gate that finds nothing to sign reads no version or signature rows)."""
    audience = audience_of(client) if audience is None else audience
    documents = [document for document in ConsentDocument.objects.all()
                 if audience.applies(document.kind)]
    published = published_versions()
    versions = {v.id: v for listed in published.values() for v in listed}
    facts = signature_facts(
        ConsentSignature.objects.filter(client=client, signer_set__isnull=True), versions)
    for_them, waiting = signer_set_facts([client.pk], versions)
    today = timezone.localdate()
    states = {
        document.id: consent_state(
            published[document.id],
            facts_for(audience, client.pk, document, facts, for_them), today,
            waiting.get((client.pk, document.id)))
        for document in documents
    }
    if keep is not None:
        documents = [d for d in documents if keep(d, states[d.id][0])]
    offered = {d.id: choose_for_reader(newest_by_language(published[d.id]), language)
               for d in documents}
    current = ConsentVersion.objects.select_related("document").in_bulk(
        [facts.id for facts in offered.values() if facts is not None])
    active = ConsentSignature.objects.select_related("version").in_bulk(
        [signature.id for document in documents
         if (signature := states[document.id][1]) is not None]
    )
    statuses = []
    for document in documents:
        state, signature = states[document.id]
        newest = offered[document.id]
        statuses.append(ConsentStatus(
            document,
            current[newest.id] if newest else None,
            active[signature.id] if signature else None,
            state,
            audience.signed_by_guardians(document.kind),
        ))
    return statuses
