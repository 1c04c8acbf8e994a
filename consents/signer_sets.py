"""Consents several people sign (``SignerSet``): a guardian signing for a child, every
guardian the practice requires (joint custody) before it counts; and the withdrawal of
such a consent by any of its signers, which the others are told of.

Each signature in a set is an ordinary ``ConsentSignature`` of its signer: checked by
``consents.services.check_signing`` (the document as read, the tick, the signer's own
name), with its own evidence (typed name, IP address, user agent) sealed under the
*signer's* key, never the child's: erasing one guardian shreds their evidence only.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from consents.audience import audience_of
from consents.models import (
    ConsentSignature,
    ConsentVersion,
    RequiredSigner,
    SignerRole,
    SignerSet,
    SignerSetPurpose,
)
from consents.services import SigningError, check_signing, store_signature
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import Guardianship, User


class NotAGuardian(SigningError):
    """The signer is not a guardian of this child (the view answers 404)."""


def guardianship_for(guardian: User, child_id: Any) -> Guardianship:
    """The guardianship linking ``guardian`` (their own account) to the child whose record
    is ``child_id`` (the first, should they be linked in two cases); ``NotAGuardian`` for
    anyone else's child, a malformed id included."""
    try:
        link = (Guardianship.objects.select_related("case", "minor", "child")
                .filter(guardian__person=guardian, child_id=child_id)
                .order_by("created_at").first())
    except (ValueError, TypeError, ValidationError):
        link = None
    if link is None:
        raise NotAGuardian("Not a guardian of this child.")
    return link


def required_guardians(child: User | uuid.UUID) -> list[uuid.UUID]:
    """The accounts of the guardians whose signature the practice requires for ``child``
    (``Guardianship.signs_for_child``), in every case the child is in."""
    child_id = child.pk if isinstance(child, User) else child
    found = (Guardianship.objects.filter(child_id=child_id, signs_for_child=True,
                                         guardian__person__isnull=False)
             .order_by("created_at").values_list("guardian__person_id", flat=True))
    # Each once, in order (a guardian linked to the child in two cases signs once).
    return [person for person in dict.fromkeys(found) if person is not None]


def open_set_for(version: ConsentVersion, child_id: uuid.UUID) -> SignerSet | None:
    """The set for ``child_id`` and ``version`` that is not withdrawn (in progress or
    complete), if any."""
    return SignerSet.objects.filter(version=version, on_behalf_of_id=child_id,
                                    withdrawn_at__isnull=True).first()


def _set_for_child(*, version: ConsentVersion, link: Guardianship, by: User) -> SignerSet:
    """The child's set for ``version``, locked: the one not withdrawn, or a new one
    requiring every guardian the practice requires now. Two guardians signing at the same
    moment meet in one set (the database allows one open set per child and version)."""
    query = SignerSet.objects.select_for_update().filter(
        version=version, on_behalf_of_id=link.child_id, withdrawn_at__isnull=True)
    existing = query.first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            signer_set = SignerSet.objects.create(version=version, case=link.case,
                                                  purpose=SignerSetPurpose.GUARDIANS,
                                                  on_behalf_of_id=link.child_id,
                                                  created_by=by)
            RequiredSigner.objects.bulk_create(
                RequiredSigner(signer_set=signer_set, signer_id=guardian_id,
                               role=SignerRole.GUARDIAN)
                for guardian_id in required_guardians(link.child_id)
            )
    except IntegrityError:
        # The other guardian made it a moment ago.
        return query.get()
    return signer_set


def complete_if_all_signed(signer_set: SignerSet, *, actor: User) -> None:
    """Mark the set complete once every required signer has an active signature of its
    version in it; audited as ``consent.set_completed``."""
    required = list(signer_set.required_signers.select_related("signature", "signer_set"))
    if not required or signer_set.completed_at is not None:
        return
    if all(r.has_signed for r in required):
        signer_set.completed_at = timezone.now()
        signer_set.save(update_fields=["completed_at"])
        record_event(Action.CONSENT_SET_COMPLETED, actor=actor,
                     subject=signer_set.on_behalf_of_id, target=signer_set,
                     detail={"signers": len(required)})


@transaction.atomic
def consent_sign_for_child(
    *,
    guardian: User,
    child_id: Any,
    version_id: Any,
    expected_sha256: str,
    typed_name: str,
    agreed: bool,
) -> ConsentSignature:
    """A guardian's signature of a document for their child, as the document stood when
    they read it (``expected_sha256``).

    Refused (``SigningError``, in plain words) unless the guardian has attested their
    authority (``Guardianship.attested_at``), the practice requires their signature
    (``signs_for_child``) and the document is one guardians sign for a child
    (``consents.audience``); the usual checks of ``check_signing`` apply, the typed name
    being the guardian's own. The signature joins the child's set for this version (made
    now if none is open, requiring every guardian the practice requires); the consent
    counts for the child only when all have signed (``complete_if_all_signed``).
    Signing again returns the guardian's active signature in the set.
    """
    link = guardianship_for(guardian, child_id)
    if link.attested_at is None:
        raise SigningError(gettext(
            "Before you can sign for your child, please confirm that you are their "
            "guardian and may consent for them."
        ))
    if not link.signs_for_child:
        raise SigningError(gettext("The practice has not asked you to sign for this child."))
    checked = check_signing(client=guardian, version_id=version_id,
                            expected_sha256=expected_sha256, typed_name=typed_name,
                            agreed=agreed)
    if not audience_of(link.child).signed_by_guardians(checked.version.document.kind):
        raise SigningError(gettext("This document is not one you sign for your child."))
    signer_set = _set_for_child(version=checked.version, link=link, by=guardian)
    place = signer_set.required_signers.select_related("signature").filter(
        signer=guardian).first()
    if place is None:
        raise SigningError(gettext(
            "The practice did not ask for your signature when this consent was started. "
            "Please contact the practice."
        ))
    if place.signature is not None and place.signature.withdrawn_at is None:
        return place.signature
    signature = store_signature(client=guardian, checked=checked, signer_set=signer_set)
    place.signature = signature
    place.save(update_fields=["signature"])
    complete_if_all_signed(signer_set, actor=guardian)
    return signature
