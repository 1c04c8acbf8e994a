"""The intake's "About you" page and the client's profile: what is copied each way.

The page asks for the same details the profile holds. It starts filled from the profile
(``profile_answers``), and submitting the intake writes back only the details the client
changed on that page (``profile_changes_from_intake``), so staff search (blind indexes), the
client record and the consent signature's name check work on what the client actually told
us, and nothing the client had already told us is overwritten by an untouched copy. The
writing itself goes through the platform's ``profile_update`` (encrypted, audited).
"""

from __future__ import annotations

import datetime
from typing import Any

from intake.schema import IN_PERSON
from portal.models import ClientProfile
from portal.services.profiles import PROFILE_FIELDS


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
