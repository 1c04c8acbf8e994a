"""Forms of the case pages: create a case, bring a person in, add a child, link a
guardian, and a guardian's own confirmation.

Checked on the server like every form: typed text loses control characters, limits are the
database's, a date of birth is a real past date, and a choice must be one offered. What is
about a case's people (who is whose guardian) is decided again by the services
(``clients.cases``); the form only says in plain words what is missing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.input_checks import SingleValueFieldsMixin
from portal.models import CaseKind, CaseParticipant, ParticipantRole, SecretsPolicy
from portal.text import TypedTextField, has_letter

EARLIEST_BIRTH_DATE_YEAR = 1900


class CaseCreateForm(SingleValueFieldsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Who is seen together"), choices=CaseKind.choices,
                             widget=forms.RadioSelect)
    secrets_policy = forms.ChoiceField(
        label=_("Secrets policy for this case"),
        choices=[("", _("The practice's policy")), *SecretsPolicy.choices], required=False,
        help_text=_("What the clinician does with something one person says alone. Each "
                    "adult signs it before their intake."),
    )


def _role_choices(kind: str) -> list[tuple[str, str]]:
    if kind == CaseKind.COUPLE:
        return [(ParticipantRole.PARTNER, gettext("Partner"))]
    return [(ParticipantRole.ADULT, gettext("Adult (parent, guardian or other adult)")),
            (ParticipantRole.ADOLESCENT, gettext("Young person with their own account"))]


def _past_date(value: Any) -> Any:
    if value is not None and (value > timezone.localdate()
                              or value.year < EARLIEST_BIRTH_DATE_YEAR):
        raise forms.ValidationError(gettext("Enter a real date of birth, in the past."))
    return value


class ParticipantInviteForm(SingleValueFieldsMixin, forms.Form):
    """A person with their own account: their own email, their own invitation."""

    email = forms.EmailField(label=_("Their own email address"), max_length=254)
    role = forms.ChoiceField(label=_("Their part in the case"))
    date_of_birth = forms.DateField(
        label=_("Date of birth (young people only)"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Checked against the age from which the practice gives young people "
                    "their own account; not stored."),
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(kind)  # type: ignore[attr-defined]

    def clean_date_of_birth(self) -> Any:
        return _past_date(self.cleaned_data.get("date_of_birth"))


class ChildAddForm(SingleValueFieldsMixin, forms.Form):
    """A child without an account of their own: their guardians act for them."""

    legal_name = TypedTextField(label=_("The child's full legal name"), max_length=200,
                                strip=True)
    date_of_birth = forms.DateField(label=_("The child's date of birth"),
                                    widget=forms.DateInput(attrs={"type": "date"}))

    def clean_legal_name(self) -> str:
        name = self.cleaned_data["legal_name"]
        if not has_letter(name):
            raise forms.ValidationError(gettext("Enter the child's name in letters."))
        return str(name)

    def clean_date_of_birth(self) -> Any:
        return _past_date(self.cleaned_data.get("date_of_birth"))


class GuardianLinkForm(SingleValueFieldsMixin, forms.Form):
    guardian = forms.ChoiceField(label=_("Guardian"))
    minor = forms.ChoiceField(label=_("Child or young person"))
    relationship = TypedTextField(
        label=_("Relationship to the child, as the guardian told you"),
        max_length=100, strip=True,
        help_text=_("For example mother, father, legal guardian."))
    legal_authority = TypedTextField(
        label=_("Legal authority to consent for the child"), max_length=200, strip=True,
        help_text=_("For example joint legal custody, sole legal custody, court order."))
    signs_for_child = forms.BooleanField(
        label=_("The practice needs this guardian's signature on the child's consents"),
        required=False, initial=True)

    def __init__(self, *args: Any, adults: list[CaseParticipant], minors: list[CaseParticipant],
                 labels: dict[Any, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["guardian"].choices = [  # type: ignore[attr-defined]
            (str(p.pk), labels[p.pk]) for p in adults]
        self.fields["minor"].choices = [  # type: ignore[attr-defined]
            (str(p.pk), labels[p.pk]) for p in minors]


class GuardianAttestForm(SingleValueFieldsMixin, forms.Form):
    """The guardian's own confirmation, ticked in their account."""

    confirm = forms.BooleanField(
        label=_("I confirm that what is recorded is true and that I have the legal "
                "authority to consent to care for this child."),
        error_messages={"required": _("Tick the box to confirm, or contact the practice if "
                                      "something is wrong.")},
    )

