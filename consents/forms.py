"""The client's consent forms. They only tidy what was typed (control characters removed:
``portal.text``); the service decides whether a signature can be taken (the tick, the name
on record, the representative's authority) and says why not in plain words."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consents.authorizations import AuthorizationDetails
from portal.input_checks import SingleValueFieldsMixin
from portal.text import TypedTextField


class SignForm(SingleValueFieldsMixin, forms.Form):
    """Sign one version: the typed name, the (unticked) agreement, and optionally who is
    signing for the client. ``sha256`` is the hash of the text the page showed."""

    typed_name = TypedTextField(max_length=200, required=False, strip=True)
    agreed = forms.BooleanField(required=False)
    on_behalf = forms.BooleanField(required=False)
    representative_name = TypedTextField(max_length=200, required=False, strip=True)
    representative_authority = TypedTextField(max_length=200, required=False, strip=True)
    sha256 = forms.CharField(max_length=64, required=False)

    def clean(self) -> dict[str, object]:
        super().clean()
        data = self.cleaned_data  # what clean() returns; the stubs allow it None
        if data.get("on_behalf") and not data.get("representative_name"):
            self.add_error("representative_name",
                           gettext("Please type your own name, as the person signing for "
                                   "them."))
        return data

    def representative(self) -> tuple[str, str]:
        """The representative's name and authority, only when the box says someone is
        signing for the client (typed values are ignored otherwise)."""
        if not self.cleaned_data.get("on_behalf"):
            return "", ""
        return (self.cleaned_data.get("representative_name", ""),
                self.cleaned_data.get("representative_authority", ""))


class WithdrawForm(SingleValueFieldsMixin, forms.Form):
    reason = TypedTextField(max_length=1000, required=False, widget=forms.Textarea)


class AuthorizationForm(SignForm):
    """An authorization to release information: the signing fields plus what it allows.
    Lengths and required elements are checked by ``consents.authorizations`` (one place for
    the law's list); this form only parses the date and the one-time submission id."""

    information = TypedTextField(required=False, widget=forms.Textarea)
    includes_substance_use = forms.BooleanField(required=False)
    substance_use_information = TypedTextField(required=False, widget=forms.Textarea)
    discloser = TypedTextField(required=False)
    recipient = TypedTextField(required=False, widget=forms.Textarea)
    purpose = TypedTextField(required=False, widget=forms.Textarea)
    expires_on = forms.DateField(
        required=False, input_formats=["%Y-%m-%d"],
        error_messages={"invalid": _("Please give the date as year-month-day, for example "
                                     "2027-06-30.")},
    )
    expiry_event = TypedTextField(required=False)
    submission = forms.UUIDField(
        error_messages={"required": _("This form has expired. Please fill it in again."),
                        "invalid": _("This form has expired. Please fill it in again.")},
    )

    def details(self) -> AuthorizationDetails:
        data = self.cleaned_data
        return AuthorizationDetails(
            information=data.get("information", ""),
            discloser=data.get("discloser", ""),
            recipient=data.get("recipient", ""),
            purpose=data.get("purpose", ""),
            expires_on=data.get("expires_on"),
            expiry_event=data.get("expiry_event", ""),
            includes_substance_use=bool(data.get("includes_substance_use")),
            substance_use_information=data.get("substance_use_information", ""),
        )
