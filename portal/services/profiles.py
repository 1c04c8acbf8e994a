"""A client's details (``ClientProfile``) and a staff member's name: the one way to change
them, from what the person tells us (the intake's "About you" page, see
``intake.profile_details``, or the client's details page). Changes are audited as
``client.profile_updated`` with the names of the fields that changed and where from, never
their values.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import ClientProfile, User

PROFILE_FIELDS = ("legal_name", "preferred_name", "pronouns", "date_of_birth", "phone",
                  "address", "emergency_contact_name", "emergency_contact_phone")
SOURCE_INTAKE = "intake"
SOURCE_CLIENT = "details_page"


def profile_of(client: User) -> ClientProfile | None:
    """The client's own details, if any were given (the caller is the client, or has
    checked access with ``get_client_for_staff``)."""
    return ClientProfile.objects.filter(user=client).first()


@transaction.atomic
def profile_update(*, client: User, values: dict[str, Any], source: str,
                   actor: User | None = None) -> list[str]:
    """Create the client's profile if needed and set ``values`` (profile field names
    only; each stored encrypted under the client's data key, the blind indexes follow).
    Returns the names of the fields that changed; when any did, records
    ``client.profile_updated`` with those names and ``source``. ``actor`` defaults to the
    client (a client changes their own details)."""
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    profile, _ = ClientProfile.objects.select_for_update().get_or_create(user=client)
    changed = [name for name in PROFILE_FIELDS
               if name in values and getattr(profile, name) != values[name]]
    if not changed:
        return []
    for name in changed:
        setattr(profile, name, values[name])
    profile.save()
    record_event(Action.CLIENT_PROFILE_UPDATED, actor=actor or client, subject=client,
                 target=profile, detail={"fields": changed, "source": source})
    return changed


@transaction.atomic
def staff_name_change(*, staff: User, display_name: str) -> bool:
    """Set the name clients see for ``staff`` (the caller checked it is their own
    account). Audited as ``staff.name_changed`` (no names in the trail: the row holds the
    current one). Returns False when it was already that name."""
    if staff.display_name == display_name:
        return False
    staff.display_name = display_name
    staff.save(update_fields=["display_name"])
    record_event(Action.STAFF_NAME_CHANGED, actor=staff, target=staff)
    return True
