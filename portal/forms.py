"""Forms of the platform: sign-up, practice settings, invitations."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm
from allauth.core import context
from django import forms

from portal.adapters import invited_email
from portal.input_checks import SingleValueFieldsMixin
from portal.models import PracticeSettings
from portal.text import TypedTextField


class PortalSignupForm(SingleValueFieldsMixin, SignupForm):
    """allauth's sign-up form; when redeeming an invitation, the email is fixed to it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        email = invited_email(context.request)
        if email:
            field = self.fields["email"]
            field.initial = email
            field.widget.attrs["readonly"] = True
            field.help_text = "This is the address your invitation was sent to."


class InvitationForm(SingleValueFieldsMixin, forms.Form):
    email = forms.EmailField(
        label="Client's email address",
        max_length=254,
        help_text="We send them a link to create their account. It works once, for "
        "a limited time.",
    )


class PracticeSettingsForm(SingleValueFieldsMixin, forms.ModelForm):
    """The practice's details; its texts reach every page, email and PDF, so control
    characters are removed from them (``portal.text``)."""

    class Meta:
        model = PracticeSettings
        field_classes = dict.fromkeys(("name", "contact_phone", "address", "crisis_text"),
                                      TypedTextField)
        fields = [
            "name",
            "contact_email",
            "contact_phone",
            "address",
            "crisis_text",
            "self_signup_enabled",
            "idle_timeout_minutes",
        ]
        labels = {
            "name": "Practice name",
            "contact_email": "Contact email",
            "contact_phone": "Contact phone",
            "crisis_text": "Crisis text shown to clients",
            "self_signup_enabled": "Let people create an account without an invitation",
            "idle_timeout_minutes": "Sign people out after this many idle minutes",
        }
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "crisis_text": forms.Textarea(attrs={"rows": 4}),
        }
