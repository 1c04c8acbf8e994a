"""A release of a couple's joint record: both partners authorize it (issue 17).

A practice admin asks both partners of a couple case to sign an authorization to release
information (``joint_release_request``): a ``SignerSet`` of the current
"release_authorization" version with each partner a required signer, and each partner
emailed that something is waiting (no content). The first partner to sign states what may
be shared, with whom, why and until when, on the ordinary authorization form; the other
reads exactly those details and signs the same (``joint_release_sign``). It allows a
release only once both have signed the same version (``SignerSet.completed_at``); either
partner revoking it revokes it for both, and the other is told
(``consents.set_withdrawal``).

Whose key. Each partner's signature carries its own copy of the details, sealed under
that partner's key, with their own evidence: erasing one partner leaves the other's
record whole, and a partner's PDF is built from their own rows (plus, in the list of
signatures, the other's typed name and time on this joint document). The second partner
reads the first one's details before signing (they are the text being agreed to); that
read is audited (``consent.joint_details_read``, the first partner the subject).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from consents.authorizations import (
    AuthorizationDetails,
    IncompleteAuthorization,
    authorization_sign,
)
from consents.models import (
    ConsentDocument,
    ConsentSignature,
    ConsentVersion,
    DocumentKind,
    ReleaseAuthorization,
    RequiredSigner,
    SignerRole,
    SignerSet,
    SignerSetPurpose,
)
from consents.services import SigningError, current_version
from consents.signer_sets import complete_if_all_signed
from portal.audit.actions import Action
from portal.audit.reads import audited_read
from portal.audit.service import record_event
from portal.mail import notify
from portal.models import Case, CaseKind, PracticeSettings, User
from portal.models.outbox import RecipientRole

SIGNATURE_REQUESTED_TEMPLATE = "consents/email/signature_requested"


class JointReleaseUnavailable(ValidationError):
    """The request cannot be made (not a couple case, no published authorization, fewer
    than two partners with an account); the message says why."""


def _release_version() -> ConsentVersion:
    """The authorization to release information in force (the version a request is of)."""
    document = ConsentDocument.objects.filter(kind=DocumentKind.RELEASE_AUTHORIZATION).first()
    version = current_version(document) if document is not None else None
    if version is None:
        raise JointReleaseUnavailable(gettext("The practice has not published an "
                                              "authorization to release information yet."))
    return version


def open_joint_release(case: Case) -> SignerSet | None:
    """The case's joint release that is not withdrawn, of the current version, if any."""
    version = _release_version()
    return SignerSet.objects.filter(case=case, version=version, on_behalf_of__isnull=True,
                                    withdrawn_at__isnull=True).first()


@transaction.atomic
def joint_release_request(*, case: Case, actor: User) -> SignerSet:
    """Ask both partners of a couple ``case`` to sign an authorization to release
    information about their joint record: a set of the current version requiring each
    partner with an account, each emailed that something is waiting for them (no
    document, no name). A request already open for the case is returned as it is (no
    second email). Records ``consent.set_requested``. The caller checks that ``actor``
    manages the practice's consent documents."""
    if case.kind != CaseKind.COUPLE:
        raise JointReleaseUnavailable(gettext("Only a couple case has a joint record to "
                                              "release."))
    version = _release_version()
    Case.objects.select_for_update().filter(pk=case.pk).get()
    existing = open_joint_release(case)
    if existing is not None:
        return existing
    partners = list(User.objects.filter(case_participations__case=case,
                                        case_participations__role="partner",
                                        is_active=True).order_by("email"))
    if len(partners) < 2:
        raise JointReleaseUnavailable(gettext("Both partners need their own account first."))
    signer_set = SignerSet.objects.create(version=version, case=case, created_by=actor,
                                          purpose=SignerSetPurpose.JOINT)
    RequiredSigner.objects.bulk_create(
        RequiredSigner(signer_set=signer_set, signer=partner, role=SignerRole.PARTNER)
        for partner in partners
    )
    practice = PracticeSettings.load()
    for partner in partners:
        notify(partner, template=SIGNATURE_REQUESTED_TEMPLATE, context={"practice": practice},
               role=RecipientRole.CLIENT, about=partner)
    record_event(Action.CONSENT_SET_REQUESTED, actor=actor, target=signer_set,
                 detail={"signers": len(partners)})
    return signer_set


def first_authorization(signer_set: SignerSet) -> ReleaseAuthorization | None:
    """The details the first partner to sign stated (their own row), if anyone has
    signed."""
    return (ReleaseAuthorization.objects.filter(signature__signer_set=signer_set)
            .select_related("signature").order_by("signature__signed_at").first())


def details_of(authorization: ReleaseAuthorization) -> AuthorizationDetails:
    """The details of a signed authorization as a new signer agrees to them (decrypts:
    the caller audits)."""
    return AuthorizationDetails(
        information=authorization.information,
        discloser=authorization.discloser,
        recipient=authorization.recipient,
        purpose=authorization.purpose,
        expires_on=authorization.signature.expires_on,
        expiry_event=authorization.expiry_event or "",
        includes_substance_use=authorization.includes_substance_use,
        substance_use_information=authorization.substance_use_information or "",
    )


def details_to_agree(signer_set: SignerSet, *, reader: User) -> AuthorizationDetails | None:
    """What the other partner stated, for ``reader`` (a required signer who has not
    signed yet) to read before signing the same; None while nobody has signed. Decrypts
    the first signer's row and records ``consent.joint_details_read`` (subject: the first
    signer), unless the reader is that signer."""
    first = first_authorization(signer_set)
    if first is None:
        return None
    if first.client_id == reader.pk:
        return details_of(first)
    return audited_read(Action.CONSENT_JOINT_DETAILS_READ, read=lambda: details_of(first),
                        actor=reader, subject=first.client_id, target=signer_set)


@transaction.atomic
def joint_release_sign(
    *,
    partner: User,
    signer_set_id: Any,
    expected_sha256: str,
    typed_name: str,
    agreed: bool,
    submission: uuid.UUID,
    details: AuthorizationDetails | None,
) -> ConsentSignature:
    """One partner's signature of the couple's joint release, as the document stood when
    they read it. The first to sign states the details (``details``, checked like any
    authorization: ``IncompleteAuthorization`` names what is missing); a later signer
    agrees to exactly the details already signed, whatever ``details`` holds, and their
    copy is sealed under their own key. Refused (``SigningError``) once the request was
    withdrawn. Signing again returns the partner's active signature. The authorization
    allows a release only when both have signed (``complete_if_all_signed``)."""
    signer_set = SignerSet.objects.select_for_update().get(pk=signer_set_id)
    place = signer_set.required_signers.select_related("signature").filter(
        signer=partner).first()
    if place is None:
        raise SigningError(gettext("Only a partner asked to sign this can sign it."))
    if signer_set.withdrawn_at is not None:
        raise SigningError(gettext("This authorization was withdrawn. Please ask the practice "
                                   "if you want to start a new one."))
    if place.signature is not None and place.signature.withdrawn_at is None:
        return place.signature
    agreed_details = details_to_agree(signer_set, reader=partner)
    if agreed_details is None:
        if details is None:
            raise IncompleteAuthorization(
                {"information": gettext("Please say what may be shared.")})
        agreed_details = details
    signature = authorization_sign(
        client=partner, version_id=signer_set.version_id, expected_sha256=expected_sha256,
        typed_name=typed_name, agreed=agreed, details=agreed_details, submission=submission,
        signer_set=signer_set,
    )
    place.signature = signature
    place.save(update_fields=["signature"])
    complete_if_all_signed(signer_set, actor=partner)
    return signature
