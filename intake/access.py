"""Access helpers: the only way views fetch intakes. Strangers get a 404.

Thin: the rule (a 404 for anything the user may not see, malformed ids included) is the
platform's ``owned_or_404`` / ``visible_or_404``; this module says only which intakes are
whose.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from intake.models import Intake, SafetyAlert, with_questionnaire
from portal.access import case_record_or_404, own_compiled_or_404
from portal.compiled import CompiledQuery
from portal.crypto.datakeys import offer_client_key, with_client_key
from portal.models import User


def _own_intakes(client: uuid.UUID, pk: uuid.UUID) -> QuerySet[Intake]:
    return with_client_key(with_questionnaire(Intake.objects.filter(client=client, pk=pk)))


# A client's own intake by id, with and without its row locked: on every page of the
# intake and every autosave, so compiled once per process (portal.compiled).
_OWN_INTAKE_VALUES = [("uuid", lambda: Intake._meta.get_field("client").target_field),
                      ("uuid", lambda: Intake._meta.pk)]
OWN_INTAKE = CompiledQuery(_own_intakes, _OWN_INTAKE_VALUES)
OWN_INTAKE_LOCKED = CompiledQuery(
    lambda client, pk: _own_intakes(client, pk).select_for_update(of=("self",)),
    _OWN_INTAKE_VALUES)


def get_own_intake(user: User, intake_id: uuid.UUID | str, *,
                   for_update: bool = False) -> Intake:
    """The signed-in client's own intake; 404 for anyone else's, or a malformed id. With
    ``for_update`` its row is locked for the caller's transaction (its questionnaire
    version joined, not locked: every draft shares it), ready for
    ``intake.services.save_locked_section``."""
    intake = own_compiled_or_404(OWN_INTAKE_LOCKED if for_update else OWN_INTAKE, user,
                                 intake_id)
    offer_client_key(intake, intake.client_id)  # its answers open without a key lookup
    return intake


def get_intake_for_staff(user: User, intake_id: uuid.UUID | str) -> Intake:
    """An intake the staff member may open: an individual intake of a client on their care
    team, a case intake of a case on their care team, or any for holders of
    ``see_all_clients`` (``portal.access.case_record_filter``); 404 otherwise. Decrypting it
    goes through ``portal.audit.reads.audited_read``, which records the opening."""
    return case_record_or_404(
        with_questionnaire(Intake.objects.select_related("client")), user, intake_id,
    )


def get_alert_for_staff(user: User, alert_id: uuid.UUID | str) -> SafetyAlert:
    """A safety alert (an intake's or a check-in's) the staff member may open: one of a
    record they may open, by the alert's client and case (``case_record_filter``: the
    client's care team for their individual record, the case's care team for a couple or
    family case, everyone's for holders of ``see_all_clients``); 404 otherwise, as for an id
    that does not exist."""
    return case_record_or_404(
        SafetyAlert.objects.select_related("client", "case", "closed_by"), user, alert_id,
    )
