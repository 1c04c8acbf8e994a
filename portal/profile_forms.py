"""Forms for a person's own details: a client's profile and a staff member's display name.

Every field is checked on the server: typed text loses control characters (``TypedTextField``),
limits are the database's, a birth date must be a real past date, and a phone number must
look like one. A refused value comes back with a message saying what would work.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.utils import timezone

from portal.formatting import format_day
from portal.input_checks import SingleValueFieldsMixin
from portal.models import ClientProfile, User
from portal.text import TypedTextField, has_letter

EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
PHONE_CHARACTERS = re.compile(r"^[0-9+() .\-/]*(?:\s*(?:ext\.?|x)\s*[0-9]+)?$", re.IGNORECASE)


def _limit(model: type, name: str) -> int:
    return int(model._meta.get_field(name).max_length)


def _text(name: str, label: str, *, required: bool = False, help_text: str = "",
          textarea: bool = False) -> TypedTextField:
    return TypedTextField(label=label, required=required, help_text=help_text,
                          max_length=_limit(ClientProfile, name), strip=True,
                          widget=forms.Textarea(attrs={"rows": 3}) if textarea else None)


def _clean_phone(value: str) -> str:
    if value and (not PHONE_CHARACTERS.match(value) or sum(ch.isdigit() for ch in value) < 3):
        raise forms.ValidationError(
            "Please enter a phone number with digits, for example +1 555 010 0123. Spaces, "
            "brackets, dashes and a plus sign are fine.", code="invalid_phone")
    return value


class ClientDetailsForm(SingleValueFieldsMixin, forms.Form):
    """The client's details, as they want the practice to have them. Only the legal name
    is required (it is the name consents are checked against)."""

    legal_name = _text("legal_name", "Your full legal name", required=True,
                       help_text="As on official documents. Consents you sign are checked "
                                 "against it.")
    preferred_name = _text("preferred_name", "What you'd like us to call you")
    pronouns = _text("pronouns", "Your pronouns", help_text="For example she/her, they/them.")
    date_of_birth = forms.DateField(label="Date of birth", required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    phone = _text("phone", "Phone number")
    address = _text("address", "Address", textarea=True)
    emergency_contact_name = _text("emergency_contact_name", "Emergency contact's name")
    emergency_contact_phone = _text("emergency_contact_phone", "Emergency contact's phone")

    def clean_legal_name(self) -> str:
        name = " ".join(self.cleaned_data["legal_name"].split())
        if not has_letter(name):
            raise forms.ValidationError("Please enter your name in letters.", code="no_letter")
        return name

    def clean_date_of_birth(self) -> datetime.date | None:
        born = self.cleaned_data.get("date_of_birth")
        if born is not None and not EARLIEST_BIRTH_DATE <= born <= timezone.localdate():
            raise forms.ValidationError(
                f"Please enter a date between {format_day(EARLIEST_BIRTH_DATE)} and today.",
                code="out_of_range")
        return born

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data["phone"])

    def clean_emergency_contact_phone(self) -> str:
        return _clean_phone(self.cleaned_data["emergency_contact_phone"])

    def profile_values(self) -> dict[str, Any]:
        """The cleaned values as the profile stores them (empty text as no value)."""
        return {name: value or None for name, value in self.cleaned_data.items()}


class StaffNameForm(SingleValueFieldsMixin, forms.Form):
    """The name clients see beside what a staff member did ("Who has opened my record")."""

    display_name = TypedTextField(
        label="Your name as clients see it", required=True, strip=True,
        max_length=_limit(User, "display_name"),
        help_text="Shown to clients on their \"Who has opened your record\" page, for "
                  "example \"Dr. Sam Rivera\" or \"Sam (practice manager)\".")

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not has_letter(name) or len(name) < 2:
            raise forms.ValidationError("Please enter a name of at least two characters, "
                                        "with letters.", code="too_short")
        return name
