"""A clinician's countersignature (issue 17): for a document the practice has countersigned
(``ConsentDocument.countersign_required``), a client's signature counts only once a
clinician of their care team has countersigned it.

The client's signature opens a ``SignerSet`` (purpose ``countersign``) needing the client
and one clinician (``consents.services.consent_sign``); any clinician on the client's care
team (their ``CareAssignment``, or a case care team of a case the client is in) fills the
clinician's place here. Withdrawal works as for every set: the client withdrawing
withdraws it, and a clinician who countersigned is told (``consents.set_withdrawal``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from consents.models import ConsentSignature, SignerRole, SignerSet, SignerSetPurpose
from consents.services import SigningError
from consents.signer_sets import complete_if_all_signed
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import CareAssignment, CaseParticipant, User


def on_care_team(clinician: User, client_id: Any) -> bool:
    """Whether ``clinician`` is on the client's care team: their individual one, or the
    care team of a couple or family case the client is in."""
    if not clinician.is_active or not clinician.has_perm("portal.access_staff_pages"):
        return False
    individual = CareAssignment.objects.filter(client_id=client_id, clinician=clinician)
    in_case = CaseParticipant.objects.filter(person_id=client_id,
                                             case__care_team__clinician=clinician)
    return individual.exists() or in_case.exists()


@transaction.atomic
def consent_countersign(*, clinician: User, signature_id: Any) -> SignerSet:
    """Countersign a client's signature that waits for a clinician: only a clinician of
    the client's care team may (``SigningError`` otherwise, in words); a signature already
    countersigned changes nothing; a withdrawn one cannot be. Records
    ``consent.countersigned`` (subject: the client), then the set is complete."""
    signature = ConsentSignature.objects.get(pk=signature_id)
    signer_set = SignerSet.objects.select_for_update().filter(
        signatures=signature, purpose=SignerSetPurpose.COUNTERSIGN).first()
    if signer_set is None:
        raise SigningError(gettext("This signature does not need a countersignature."))
    if signer_set.withdrawn_at is not None:
        raise SigningError(gettext("The client withdrew this consent: there is nothing to "
                                   "countersign."))
    if not on_care_team(clinician, signature.client_id):
        raise SigningError(gettext("Only a clinician on the client's care team can "
                                   "countersign."))
    place = signer_set.required_signers.select_for_update().filter(
        role=SignerRole.CLINICIAN).first()
    if place is None or place.countersigned_at is not None:
        return signer_set
    place.signer = clinician
    place.countersigned_at = timezone.now()
    place.save(update_fields=["signer", "countersigned_at"])
    record_event(Action.CONSENT_COUNTERSIGNED, actor=clinician, subject=signature.client_id,
                 target=signer_set)
    complete_if_all_signed(signer_set, actor=clinician)
    return signer_set


def awaiting_countersignature(clients: Any) -> list[ConsentSignature]:
    """The signatures of ``clients`` (a query of accounts the caller may open) that wait
    for a clinician's countersignature, oldest first (nothing decrypted)."""
    waiting = SignerSet.objects.filter(
        pk=OuterRef("signer_set_id"), purpose=SignerSetPurpose.COUNTERSIGN,
        completed_at__isnull=True, withdrawn_at__isnull=True)
    return list(
        ConsentSignature.objects.filter(Exists(waiting), client__in=clients,
                                        withdrawn_at__isnull=True)
        .select_related("version__document", "client").order_by("signed_at")
    )
