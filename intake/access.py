"""Access helpers: the only way views fetch intakes. Strangers get a 404."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.http import Http404

from intake.models import Intake
from portal.access import clients_visible_to
from portal.models import User


def get_own_intake(user: User, intake_id: uuid.UUID | str) -> Intake:
    """The signed-in client's own intake; 404 for anyone else's, or a malformed id."""
    if not user.has_perm("portal.access_client_pages"):
        raise Http404
    try:
        return Intake.objects.select_related("questionnaire").get(pk=intake_id, client=user)
    except (Intake.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None


def get_intake_for_staff(user: User, intake_id: uuid.UUID | str) -> Intake:
    """An intake of a client the staff member may open (their care team, or any client for
    practice admins); 404 otherwise. Decrypting it is the caller's to audit."""
    if not user.has_perm("portal.access_staff_pages"):
        raise Http404
    try:
        return Intake.objects.select_related("questionnaire", "client").get(
            pk=intake_id, client__in=clients_visible_to(user)
        )
    except (Intake.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None
