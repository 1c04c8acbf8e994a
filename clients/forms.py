"""Forms of the client pages: a client's own details and language, and the staff client
search.

Every field is checked on the server: typed text loses control characters (``TypedTextField``),
limits are the database's, a birth date must be a real past date, and a phone number must
look like one. A refused value comes back with a message saying what would work.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.search import BY_AUTO, BY_DATE_OF_BIRTH, BY_NAME, BY_PHONE, interpret_term
from portal.formatting import format_day
from portal.i18n.languages import offered_languages
from portal.input_checks import SingleValueFieldsMixin
from portal.models import ClientProfile
from portal.text import TypedTextField, has_letter

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
PHONE_CHARACTERS = re.compile(r"^[0-9+() .\-/]*(?:\s*(?:ext\.?|x)\s*[0-9]+)?$", re.IGNORECASE)


def _limit(model: Any, name: str) -> int:
    return int(model._meta.get_field(name).max_length)


def _text(name: str, label: StrOrPromise, *, required: bool = False,
          help_text: StrOrPromise = "",
          textarea: bool = False) -> TypedTextField:
    return TypedTextField(label=label, required=required, help_text=help_text,
                          max_length=_limit(ClientProfile, name), strip=True,
                          widget=forms.Textarea(attrs={"rows": 3}) if textarea else None)


def _clean_phone(value: str) -> str:
    if value and (not PHONE_CHARACTERS.match(value) or sum(ch.isdigit() for ch in value) < 3):
        raise forms.ValidationError(
            gettext("Please enter a phone number with digits, for example +1 555 010 0123. "
                    "Spaces, brackets, dashes and a plus sign are fine."), code="invalid_phone")
    return value


class ClientDetailsForm(SingleValueFieldsMixin, forms.Form):
    """The client's details, as they want the practice to have them. Only the legal name
    is required (it is the name consents are checked against)."""

    legal_name = _text("legal_name", _("Your full legal name"), required=True,
                       help_text=_("As on official documents. Consents you sign are checked "
                                   "against it."))
    preferred_name = _text("preferred_name", _("What you'd like us to call you"))
    pronouns = _text("pronouns", _("Your pronouns"),
                     help_text=_("For example she/her, they/them."))
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    phone = _text("phone", _("Phone number"))
    address = _text("address", _("Address"), textarea=True)
    emergency_contact_name = _text("emergency_contact_name", _("Emergency contact's name"))
    emergency_contact_phone = _text("emergency_contact_phone", _("Emergency contact's phone"))

    def clean_legal_name(self) -> str:
        name = " ".join(self.cleaned_data["legal_name"].split())
        if not has_letter(name):
            raise forms.ValidationError(gettext("Please enter your name in letters."),
                                        code="no_letter")
        return name

    def clean_date_of_birth(self) -> datetime.date | None:
        born = self.cleaned_data.get("date_of_birth")
        if born is not None and not EARLIEST_BIRTH_DATE <= born <= timezone.localdate():
            raise forms.ValidationError(
                gettext("Please enter a date between %(earliest)s and today.")
                % {"earliest": format_day(EARLIEST_BIRTH_DATE)},
                code="out_of_range")
        return born

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data["phone"])

    def clean_emergency_contact_phone(self) -> str:
        return _clean_phone(self.cleaned_data["emergency_contact_phone"])

    def profile_values(self) -> dict[str, Any]:
        """The cleaned values as the profile stores them (empty text as no value)."""
        return {name: value or None for name, value in self.cleaned_data.items()}


class ClientSearchForm(SingleValueFieldsMixin, forms.Form):
    """One box, and what it holds (or "work it out"). Posted, never a query string: the
    term is personal data and must not reach a URL (see ``client_list``'s docstring).

    ``cleaned_data`` gains ``kind`` (one of ``SEARCH_SOURCES``) and ``value`` (a name, a
    ``date`` or the phone's digits), ready for ``client_search``.
    """

    q = forms.CharField(
        label=_("Legal name, date of birth or phone"),
        max_length=200,
        error_messages={
            "required": _("Enter a legal name, a date of birth or a phone number to search "
                          "for."),
            "max_length": _("That is too long for a name, date or phone number."),
        },
        help_text=_(
            "The legal name, or any part of it such as the family name alone (capitals, accents "
            "and extra spaces do not matter); date of birth as 1990-04-21 or 04/21/1990; phone "
            "with or without spaces, dashes or +1."
        ),
        widget=forms.TextInput(attrs={
            # Keep names and birth dates out of the browser's saved form history.
            "autocomplete": "off", "autocapitalize": "off", "spellcheck": "false",
        }),
    )
    by = forms.ChoiceField(
        label=_("Search by"),
        required=False,
        choices=[
            (BY_AUTO, _("Work it out from what I type")),
            (BY_NAME, _("Legal name")),
            (BY_DATE_OF_BIRTH, _("Date of birth")),
            (BY_PHONE, _("Phone")),
        ],
        error_messages={"invalid_choice": _("Choose from the list.")},
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what clean() returns; the stubs allow it None
        text = cleaned.get("q")
        if not text or "by" in self.errors:
            return cleaned
        try:
            cleaned["kind"], cleaned["value"] = interpret_term(text, cleaned.get("by") or BY_AUTO)
        except forms.ValidationError as error:
            self.add_error("q", error)
        return cleaned


class LanguageForm(SingleValueFieldsMixin, forms.Form):
    """The language a client reads the portal, their emails, reminders and PDFs in: one of
    ``settings.LANGUAGES``, each named in its own language (so a person who reads only
    Spanish finds "Español" whatever language the page is in)."""

    language = forms.ChoiceField(
        label=_("Language"),
        choices=offered_languages,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a language."),
                        "invalid_choice": _("Choose a language from the list.")},
    )
