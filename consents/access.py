"""Access helpers: the only way views fetch consent signatures. Strangers get a 404.

Thin: the rule (a 404 for anything the user may not see, malformed ids included) is the
platform's ``owned_or_404`` / ``visible_or_404``; this module says only which signatures
are whose.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.http import Http404

from consents.models import ConsentSignature, SignerSet
from portal.access import (
    client_record_or_404,
    get_case_for_staff,
    own_record_or_404,
    visible_or_404,
)
from portal.models import Case, Guardianship, User


def get_own_signature(user: User, signature_id: uuid.UUID | str) -> ConsentSignature:
    """The signed-in client's own signature (with its version and document); 404 for
    anyone else's, for a user who is not a client, and for a malformed id."""
    return own_record_or_404(
        ConsentSignature.objects.select_related("version__document", "signer_set"),
        user, signature_id)


def get_signature_for_staff(user: User, signature_id: uuid.UUID | str) -> ConsentSignature:
    """A signature of a client the staff member may open (their care team's clients, or
    any client for holders of ``see_all_clients``: ``clients_visible_to``); 404 otherwise,
    malformed ids included. Decrypting it goes through ``portal.audit.reads.audited_read``,
    which records the export."""
    return client_record_or_404(
        ConsentSignature.objects.select_related("version__document", "client"), user,
        signature_id,
    )


def get_ward_or_404(user: User, child_id: uuid.UUID | str) -> Guardianship:
    """The guardianship making the signed-in client a guardian of the child ``child_id``
    names (their own link; the first if they are linked in two cases); 404 for anyone
    else's child, a non-client, a malformed id, as for a child who does not exist.
    Whether they may sign (attested, required) is the service's to say, in words."""
    if not user.has_perm("portal.access_client_pages"):
        raise Http404
    first = (Guardianship.objects.filter(guardian__person=user)
             .order_by("created_at").values_list("pk", flat=True))
    try:
        link_id = first.filter(child_id=child_id).first()
    except (ValueError, TypeError, ValidationError):
        raise Http404 from None
    return visible_or_404(Guardianship.objects.filter(guardian__person=user)
                          .select_related("case", "minor"), link_id)


def get_joint_set_or_404(user: User, signer_set_id: uuid.UUID | str) -> SignerSet:
    """A consent of a couple's joint record (a ``SignerSet`` of a case, for no one person)
    that the signed-in client is a required signer of; 404 for everyone else (the other
    partner's own signatures are never reached through it), a non-client, a malformed id.
    """
    if not user.has_perm("portal.access_client_pages"):
        raise Http404
    return visible_or_404(
        SignerSet.objects.filter(required_signers__signer=user, on_behalf_of__isnull=True,
                                 case__isnull=False).select_related("version__document"),
        signer_set_id,
    )


def get_case_for_consent_admin(user: User, case_id: uuid.UUID | str) -> Case:
    """A case, for a practice admin (``manage_consent_documents``) who may open it
    (``portal.access.get_case_for_staff``); 404 for everyone else, as for a made-up id."""
    if not user.has_perm("portal.manage_consent_documents"):
        raise Http404
    return get_case_for_staff(user, case_id)
