"""A client's details (``ClientProfile``): created and kept up to date from what the client
tells us, on submitting their intake or on their details page.

The intake's "About you" page asks for the same details the profile holds. It starts filled
from the profile (``profile_answers``), and submitting the intake writes back only the
details the client changed on that page (``profile_changes_from_intake``), so staff search
(blind indexes), the client record and the consent signature's name check work on what the
client actually told us, and nothing the client had already told us is overwritten by an
untouched copy. Later changes come from the client's details page. Both are audited as
``client.profile_updated`` with the names of the fields that changed and where from, never
their values.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from intake.schema import IN_PERSON
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


def _fits(name: str, value: Any) -> bool:
    limit = getattr(ClientProfile._meta.get_field(name), "max_length", None)
    return not isinstance(value, str) or limit is None or len(value) <= limit


def profile_answers(profile: ClientProfile | None) -> dict[str, str]:
    """The client's details in the form the intake stores answers (text as it is, the date
    of birth as an ISO date), for the fields that hold something. Decrypts the profile; the
    caller is the client, or staff who checked access."""
    if profile is None:
        return {}
    values: dict[str, str] = {}
    for name in PROFILE_FIELDS:
        value = getattr(profile, name)
        if isinstance(value, datetime.date):
            values[name] = value.isoformat()
        elif isinstance(value, str) and value:
            values[name] = value
    return values


def profile_changes_from_intake(answers: dict[str, Any],
                                on_file: dict[str, Any]) -> dict[str, Any]:
    """The profile values to write from a submitted intake: only the details whose answer
    differs from ``on_file`` (what the "About you" page was filled with from the profile,
    by field name). A field that was not filled from the profile counts as changed when it
    is answered. A filled field the client emptied clears the detail (None); an answer the
    profile cannot hold (too long, "I'd rather talk about this in person", not a date)
    stays in the intake alone."""
    values: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        answer = answers.get(name)
        if name in on_file:
            if answer == on_file[name]:
                continue
            if answer in (None, ""):
                values[name] = None
                continue
        values.update(profile_values_from_intake({name: answer}))
    return values


def profile_values_from_intake(answers: dict[str, Any]) -> dict[str, Any]:
    """The profile fields the intake's answers give: answered ones only, never "I'd
    rather talk about this in person", the date of birth as a date. A value longer than
    the profile keeps stays in the intake alone."""
    values: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        value = answers.get(name)
        if value in (None, "", IN_PERSON):
            continue
        if name == "date_of_birth":
            try:
                value = datetime.date.fromisoformat(str(value))
            except ValueError:
                continue
        if isinstance(value, (str, datetime.date)) and _fits(name, value):
            values[name] = value
    return values


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
