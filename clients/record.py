"""What a client's record page shows besides their decrypted details: the care team, where
they stand with each consent, their intake, and the latest openings of their record.

Everything here reads plaintext columns (ids, states, times, staff names) and decrypts
nothing; the page's one decryption, the client's details, is recorded by the view. Each
part is a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from consents.api import RegisterEntry, register_for_client
from intake.api import client_intakes_visible_to
from portal.audit.selectors import StaffEventRow, events_visible_to, with_staff_names
from portal.models import CareAssignment, User
from portal.roles import Role

RECENT_EVENTS = 10


@dataclass(frozen=True)
class ClientRecord:
    care_team: list[User]
    assignable: list[User]  # active clinicians not on the team (empty unless the viewer manages it)
    consents: list[RegisterEntry]
    intakes: list[Any]  # the intake app's Intake rows the viewer may open
    recent_events: list[StaffEventRow]


def care_team(client: User) -> list[User]:
    """The clinicians on the client's care team, by name."""
    return [link.clinician for link in
            CareAssignment.objects.filter(client=client).select_related("clinician")
            .order_by("clinician__display_name", "clinician__email")]


def assignable_clinicians(client: User) -> list[User]:
    """Active clinicians who are not yet on the client's care team."""
    return list(
        User.objects.filter(groups__name=Role.CLINICIAN.value, is_active=True)
        .exclude(caseload_links__client=client)
        .order_by("display_name", "email")
    )


def client_record(viewer: User, client: User, *, manages_care_team: bool) -> ClientRecord:
    """The record page's plaintext parts for ``viewer``, who may open ``client`` (checked
    by the caller with ``get_client_for_staff``). The latest events are those the viewer
    may read in the audit trail (``events_visible_to``: a clinician does not see their
    client's sign-ins and their IP addresses)."""
    events = list(events_visible_to(viewer).filter(subject_id=client.pk)
                  .order_by("-seq")[:RECENT_EVENTS])
    return ClientRecord(
        care_team=care_team(client),
        assignable=assignable_clinicians(client) if manages_care_team else [],
        consents=register_for_client(client.pk),
        intakes=client_intakes_visible_to(viewer, client),
        recent_events=with_staff_names(events),
    )
