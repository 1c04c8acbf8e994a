"""Access helpers: the only way views fetch consent signatures. Strangers get a 404."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.http import Http404

from consents.models import ConsentSignature
from portal.access import clients_visible_to
from portal.models import User


def get_own_signature(user: User, signature_id: uuid.UUID | str) -> ConsentSignature:
    """The signed-in client's own signature (with its version and document); 404 for
    anyone else's, for a user who is not a client, and for a malformed id."""
    if not user.has_perm("portal.access_client_pages"):
        raise Http404
    try:
        return ConsentSignature.objects.select_related("version__document").get(
            pk=signature_id, client=user
        )
    except (ConsentSignature.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None


def get_signature_for_staff(user: User, signature_id: uuid.UUID | str) -> ConsentSignature:
    """A signature of a client the staff member may open (their care team's clients, or
    any client for practice admins: ``clients_visible_to``); 404 otherwise, malformed ids
    included. Decrypting it is the caller's to audit."""
    if not user.has_perm("portal.access_staff_pages"):
        raise Http404
    try:
        return ConsentSignature.objects.select_related("version__document", "client").get(
            pk=signature_id, client__in=clients_visible_to(user)
        )
    except (ConsentSignature.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None
