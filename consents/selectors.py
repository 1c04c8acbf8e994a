"""Consent reads for the client's pages: where a client stands, what blocks them, and what
they may sign. A client's own signature is fetched through ``consents.access``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consents.audience import INDIVIDUAL, audience_of, audiences
from consents.models import (
    ConsentDocument,
    ConsentSignature,
    ConsentVersion,
    DocumentKind,
    ReleaseAuthorization,
    RequiredSigner,
    Requirement,
    SignerSet,
    VersionStatus,
)
from consents.services import (
    ConsentStatus,
    consent_statuses,
    current_version,
    is_current,
    state_blocks,
)
from portal.access import visible_or_404
from portal.models import Case, Guardianship, User
from portal.seams import Prerequisite

REQUIREMENT_ORDER: dict[str, int] = {
    Requirement.BEFORE_INTAKE: 0,
    Requirement.BEFORE_FIRST_SESSION: 1,
    Requirement.OPTIONAL: 2,
}


@dataclass(frozen=True)
class ConsentRow:
    """One line of "My consents": the status, plus the client's latest withdrawn signature
    when they withdrew (``ConsentStatus`` only carries the active one)."""

    status: ConsentStatus
    withdrawn: ConsentSignature | None
    authorizations: tuple[ConsentSignature, ...] = ()  # only for authorizations to release

    @property
    def document(self) -> ConsentDocument:
        return self.status.document

    @property
    def required(self) -> bool:
        return self.status.document.requirement != Requirement.OPTIONAL


def consent_rows(client: User) -> list[ConsentRow]:
    """Every document with the client's standing, required documents first (before the
    intake, then before the first session, then optional), each group in the practice's
    order. Only the client's own signatures are read."""
    statuses = sorted(
        consent_statuses(client),
        key=lambda status: REQUIREMENT_ORDER.get(status.document.requirement, 3),
    )
    withdrawn: dict[uuid.UUID, ConsentSignature] = {}
    for signature in (
        ConsentSignature.objects.filter(client=client, withdrawn_at__isnull=False,
                                        signer_set__isnull=True)
        .select_related("version").order_by("withdrawn_at")
    ):
        withdrawn[signature.version.document_id] = signature  # the latest one wins
    authorizations = tuple(own_authorizations(client))
    return [
        ConsentRow(
            status,
            withdrawn.get(status.document.pk) if status.state == "withdrawn" else None,
            authorizations if status.document.kind == DocumentKind.RELEASE_AUTHORIZATION
            else (),
        )
        for status in statuses
    ]


def own_authorizations(client: User) -> list[ConsentSignature]:
    """The client's own authorizations to release information, newest first, each with its
    details (decrypted when read: they are the client's own)."""
    return list(
        ConsentSignature.objects.filter(
            client=client, version__document__kind=DocumentKind.RELEASE_AUTHORIZATION,
            authorization__isnull=False, signer_set__isnull=True,
        ).select_related("authorization", "version").order_by("-signed_at")
    )


def outstanding(client: User) -> list[ConsentStatus]:
    """What the client still needs to sign, most pressing first: required documents not
    signed or withdrawn, and any document (optional ones too) changed materially since
    they signed it."""
    return sorted(
        (status for status in consent_statuses(client)
         if status.blocks or status.state == "resign"),
        key=lambda status: REQUIREMENT_ORDER.get(status.document.requirement, 3),
    )


def blocking_before_intake(client: User, case: Case | None = None) -> list[ConsentStatus]:
    """The documents that must be signed before the client may start or continue their
    intake: their individual intake (``case`` None), or their intake in ``case``, which
    also needs the documents for their place in it (``consents.audience``): an adult's
    secrets policy of that case, an adolescent's assent. A minor's other documents are
    signed by their guardians and block until every required guardian has. Empty when
    the practice has published no document required before the intake (nothing to sign
    means nothing to wait for)."""
    audience = audience_of(client)

    def blocking(document: ConsentDocument, state: str) -> bool:
        return (document.requirement == Requirement.BEFORE_INTAKE
                and state_blocks(document, state) and audience.needed_in(document.kind, case))

    return consent_statuses(client, audience=audience, keep=blocking)


def intake_prerequisites(client: User, case: Case | None = None) -> list[Prerequisite]:
    """The answer to the ``before_intake`` hook: each document in ``blocking_before_intake``
    (for the client's individual intake, or their intake in ``case``) as something to do
    on the consents page, titles only; one their guardians sign says so."""
    prerequisites = []
    for status in blocking_before_intake(client, case):
        title = status.current.display_title if status.current else status.document.title
        if status.signed_by_guardians:
            title = gettext("%(title)s (signed by your parent or guardian)") % {"title": title}
        prerequisites.append(Prerequisite(title=title, url_name="consent_list"))
    return prerequisites


def published_version_or_404(version_id: uuid.UUID) -> ConsentVersion:
    """A published version (current or superseded), with its document; 404 for a draft or
    an unknown id. Published versions are the practice's public text: anyone who may sign
    may look one up."""
    return visible_or_404(
        ConsentVersion.objects.select_related("document").filter(status=VersionStatus.PUBLISHED),
        version_id,
    )


def signable_version_or_404(version_id: uuid.UUID) -> ConsentVersion:
    """The version, if it is the current published version of its document in its
    language; 404 for a draft, a superseded version or an unknown id (only what is in
    force can be signed). The version in force in another language than the reader's
    can be signed too: the reader is offered their own (``current_version``), and a
    signature records the language of what was read."""
    version = published_version_or_404(version_id)
    if not is_current(version):
        raise Http404
    return version


def newest_or_404(version: ConsentVersion) -> ConsentVersion:
    """The version of ``version``'s document the reader is offered now (in their language,
    else the practice's: what a client who read an older one must read instead); 404 if
    the document has none."""
    newest = current_version(version.document)
    if newest is None:
        raise Http404
    return newest


def authorization_of(signature: ConsentSignature) -> ReleaseAuthorization | None:
    """The details of a signature that is an authorization to release information (None
    for any other signature). The caller has already checked who may see the signature."""
    return ReleaseAuthorization.objects.filter(signature=signature).first()


# --- Guardians: what they sign for their children ---------------------------------------

WARD_WORDS: dict[str, Any] = {
    "signed": _("Signed"),
    "updated": _("Signed"),
    "waiting_for_me": _("Waiting for your signature"),
    "waiting": _("Waiting for another guardian"),
    "withdrawn": _("Withdrawn"),
    "resign": _("Please sign the new version"),
    "expired": _("Ended"),
    "outstanding": _("Not signed"),
}


@dataclass(frozen=True)
class WardDocument:
    """One document a guardian signs for their child: the child's standing with it, and
    the guardian's own signature in the consent on its way or in force, if any."""

    status: ConsentStatus
    mine: ConsentSignature | None

    @property
    def document(self) -> ConsentDocument:
        return self.status.document

    @property
    def state(self) -> str:
        """The child's state, with "waiting" split by whether this guardian has signed."""
        if self.status.state == "waiting" and self.mine is None:
            return "waiting_for_me"
        return self.status.state

    @property
    def words(self) -> str:
        return str(WARD_WORDS.get(self.state, WARD_WORDS["outstanding"]))

    @property
    def can_sign(self) -> bool:
        return self.mine is None and self.state not in ("signed", "updated")


@dataclass(frozen=True)
class WardConsents:
    """A child of the guardian's, and each document the guardian signs for them."""

    guardianship: Guardianship
    label: str
    documents: tuple[WardDocument, ...]

    @property
    def child_id(self) -> uuid.UUID:
        return self.guardianship.child_id

    @property
    def may_sign(self) -> bool:
        """Attested, and required by the practice (otherwise the page says why not)."""
        return (self.guardianship.attested_at is not None
                and self.guardianship.signs_for_child)


def ward_consents(guardian: User) -> list[WardConsents]:
    """The children ``guardian`` is a guardian of (their own ``Guardianship`` rows only),
    each with the documents guardians sign for them and where the child stands.

    Decision: a child is named "your child" with the case's reference (and a number when
    there are several), not by name: the child's name is sealed under the child's key,
    and reading it on every visit to this page would be a decryption of the child's
    record each time. Nothing here decrypts."""
    links = list(Guardianship.objects.filter(guardian__person=guardian)
                 .select_related("case").order_by("created_at"))
    several = len(links) > 1
    wards = []
    for number, link in enumerate(links, start=1):
        child = User(pk=link.child_id)
        statuses = [status for status in consent_statuses(child)
                    if status.signed_by_guardians and status.state != "unavailable"]
        statuses.sort(key=lambda status: REQUIREMENT_ORDER.get(status.document.requirement, 3))
        mine = {
            signature.version_id: signature
            for signature in ConsentSignature.objects.filter(
                client=guardian, on_behalf_of_id=link.child_id, withdrawn_at__isnull=True,
                signer_set__withdrawn_at__isnull=True,
            )
        }
        label = (gettext("Your child (%(number)s), family case %(reference)s") if several
                 else gettext("Your child, family case %(reference)s")) % {
            "number": number, "reference": link.case.reference}
        wards.append(WardConsents(link, label, tuple(
            WardDocument(status, mine.get(status.current.pk) if status.current else None)
            for status in statuses
        )))
    return wards


def guardians_sign_for(child_id: uuid.UUID, kind: str) -> bool:
    """Whether a document of ``kind`` is one the child's guardians sign for them."""
    return audiences([child_id]).get(child_id, INDIVIDUAL).signed_by_guardians(kind)


# --- Couples: a release of the joint record, signed by both partners ---------------------


@dataclass(frozen=True)
class JointRequest:
    """A consent the signed-in partner is asked to sign with the other partner(s), and
    where it stands for them (no detail of the other's beyond whether they signed)."""

    signer_set: SignerSet
    mine: ConsentSignature | None
    signed: int
    needed: int

    @property
    def words(self) -> str:
        if self.signer_set.withdrawn_at is not None:
            return gettext("Withdrawn")
        if self.signer_set.completed_at is not None:
            return gettext("Signed by both of you")
        if self.mine is None:
            return gettext("Waiting for your signature")
        return gettext("Waiting for your partner")

    @property
    def can_sign(self) -> bool:
        return self.signer_set.is_open and self.mine is None


def joint_requests(partner: User) -> list[JointRequest]:
    """The joint consents ``partner`` is a required signer of, newest first (their own
    places only; nothing decrypted)."""
    sets = list(SignerSet.objects.filter(required_signers__signer=partner,
                                         on_behalf_of__isnull=True, case__isnull=False)
                .select_related("version__document").order_by("-created_at"))
    places = RequiredSigner.objects.filter(signer_set__in=sets).select_related("signature")
    signed: dict[uuid.UUID, int] = {}
    needed: dict[uuid.UUID, int] = {}
    mine: dict[uuid.UUID, ConsentSignature] = {}
    for place in places:
        needed[place.signer_set_id] = needed.get(place.signer_set_id, 0) + 1
        if place.signature is not None and place.signature.withdrawn_at is None:
            signed[place.signer_set_id] = signed.get(place.signer_set_id, 0) + 1
            if place.signer_id == partner.pk:
                mine[place.signer_set_id] = place.signature
    return [JointRequest(s, mine.get(s.pk), signed.get(s.pk, 0), needed.get(s.pk, 0))
            for s in sets]


def joint_releases_of(case: Case) -> list[JointRequest]:
    """A case's joint consents for the practice admin: how many of the required signers
    have signed each, newest first (nothing decrypted)."""
    sets = list(SignerSet.objects.filter(case=case, on_behalf_of__isnull=True)
                .select_related("version__document").order_by("-created_at"))
    rows = []
    for signer_set in sets:
        places = list(signer_set.required_signers.select_related("signature"))
        signed = sum(p.signature is not None and p.signature.withdrawn_at is None
                     for p in places)
        rows.append(JointRequest(signer_set, None, signed, len(places)))
    return rows
