"""Forms of the platform: sign-up, practice settings, invitations, a staff member's name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from allauth.account.forms import SignupForm
from allauth.core import context
from allauth.mfa.webauthn import forms as allauth_webauthn_forms
from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.adapters import invited_email
from portal.i18n.languages import offered_languages
from portal.input_checks import SingleValueFieldsMixin
from portal.models import PracticeSettings, User
from portal.models.practice import WORDED_SETTINGS
from portal.text import TypedTextField, has_letter

if TYPE_CHECKING:
    from django.db.models import Field
    from django_stubs_ext import StrOrPromise


class PortalSignupForm(SingleValueFieldsMixin, SignupForm):
    """allauth's sign-up form; when redeeming an invitation, the email is fixed to it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        email = invited_email(context.request)
        if email:
            field = self.fields["email"]
            field.initial = email
            field.widget.attrs["readonly"] = True
            field.help_text = _("This is the address your invitation was sent to.")


class InvitationForm(SingleValueFieldsMixin, forms.Form):
    email = forms.EmailField(
        label=_("Client's email address"),
        max_length=254,
        help_text=_("We send them a link to create their account. It works once, for "
                    "a limited time."),
    )
    # Optional in a post (a page or script from before languages sends only the email):
    # blank means the practice's default.
    language = forms.ChoiceField(
        label=_("Language of the invitation"),
        choices=offered_languages,
        required=False,
        help_text=_("The email and the portal are in this language for them. They can "
                    "change it at any time."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = settings.LANGUAGE_CODE

    def clean_language(self) -> str:
        return self.cleaned_data.get("language") or settings.LANGUAGE_CODE


# The settings the consent documents quote as words (``consents.placeholders`` fills them
# in; the numbers among them are checked by their model validators).
DOCUMENT_TEXT_SETTINGS = (
    "practice_state", "intake_fee", "session_fee", "longer_session_fee", "letters_fee",
    "legal_hourly_fee", "late_cancellation_fee", "returned_check_fee", "paper_copy_fee",
    "payment_due", "payment_methods", "insurance_networks", "video_platform",
)
# The page's sections: a legend, and the fields under it.
PRACTICE_SETTINGS_GROUPS = (
    (_("The practice"), ("name", "contact_email", "contact_phone", "address",
                         "practice_state")),
    (_("What clients see and how they sign in"), ("crisis_text", "self_signup_enabled",
                                                   "idle_timeout_minutes")),
    (_("Safety alerts"), ("safety_alert_draft_hours",)),
    (_("Couples and families"), ("secrets_policy", "adolescent_account_age")),
    (_("Check-ins and scores"), ("clients_see_scores", "check_in_answers_required",
                              "check_in_open_days", "check_in_reminder_max",
                              "reliable_change_phq9", "reliable_change_gad7")),
    (_("Reminders"), ("intake_reminders_enabled", "intake_reminder_after_days",
                   "intake_reminder_every_days", "intake_reminder_max",
                   "consent_expiry_reminder_days")),
    (_("Sessions and records"), ("session_minutes", "video_platform", "reconnect_minutes",
                              "records_retention_years")),
    (_("Fees and payment"), ("intake_fee", "session_fee", "longer_session_fee", "letters_fee",
                          "legal_hourly_fee", "cancellation_notice_hours",
                          "late_cancellation_fee", "fee_change_notice_days", "payment_due",
                          "payment_methods", "returned_check_fee", "paper_copy_fee",
                          "insurance_networks", "unpaid_balance_days")),
)


class PracticeSettingsForm(SingleValueFieldsMixin, forms.ModelForm):
    """The practice's details; its texts reach every page, email, PDF and consent document,
    so control characters are removed from them (``portal.text``). The settings the
    consent documents quote are optional here: a blank one leaves its placeholder in a
    draft, and that draft cannot be published until it is filled in."""

    class Meta:
        model = PracticeSettings
        field_classes = dict.fromkeys(
            ("name", "contact_phone", "address", "crisis_text", *DOCUMENT_TEXT_SETTINGS),
            TypedTextField,
        )
        fields = [name for _, names in PRACTICE_SETTINGS_GROUPS for name in names]
        labels = {
            "crisis_text": _("Crisis text shown to clients"),
            "self_signup_enabled": _("Let people create an account without an invitation"),
            "idle_timeout_minutes": _("Sign people out after this many idle minutes"),
            "safety_alert_draft_hours": _("Email the care team about a safety answer in an "
                                          "unsent intake after this many hours"),
            "secrets_policy": _("Secrets policy for couples and families"),
            "adolescent_account_age": _("Young people may have their own account from age"),
            "intake_reminders_enabled": _("Remind clients about an unfinished intake"),
            "intake_reminder_after_days": _("First reminder after this many days away"),
            "intake_reminder_every_days": _("Then every this many days"),
            "intake_reminder_max": _("At most this many reminders per intake"),
            "consent_expiry_reminder_days": _("Remind clients this many days before an "
                                              "authorization ends"),
            "clients_see_scores": _("Show clients their own scores and trends"),
            "check_in_answers_required": _("Clients must answer every check-in question"),
            "check_in_open_days": _("A check-in shows as missed this many days after it "
                                    "is due"),
            "check_in_reminder_max": _("At most this many reminders per check-in"),
            "reliable_change_phq9": _("Reliable change on the PHQ-9, in points"),
            "reliable_change_gad7": _("Reliable change on the GAD-7, in points"),
        }
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "crisis_text": forms.Textarea(attrs={"rows": 4}),
        }

    # Added with couples and families: a post from a page built before them (or a script
    # that leaves them out) keeps what is stored rather than failing on a missing field.
    # So were the check-in and score numbers, with measures over time.
    KEPT_WHEN_ABSENT = ("secrets_policy", "adolescent_account_age", "check_in_open_days",
                        "check_in_reminder_max", "reliable_change_phq9",
                        "reliable_change_gad7")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        missing = [name for name in self.KEPT_WHEN_ABSENT if name not in self.data]
        if self.is_bound and missing:
            data = QueryDict(mutable=True)
            data.update(self.data)
            for name in missing:
                data[name] = str(getattr(self.instance, name))
            self.data = data
        self._add_other_language_fields()

    def _add_other_language_fields(self) -> None:
        """A field per setting written in words (``WORDED_SETTINGS``) and per offered
        language other than the default, holding the practice's wording for its readers."""
        names = dict(settings.LANGUAGES)
        for setting in WORDED_SETTINGS:
            model_field = cast("Field[Any, Any]", PracticeSettings._meta.get_field(setting))
            base = self.fields[setting]
            for code in other_languages():
                field = TypedTextField(
                    required=False, strip=True, max_length=model_field.max_length,
                    label=format_lazy(_("{setting}, in {language}"), setting=base.label,
                                      language=names[code]),
                    help_text=(_("What clients who read this language see. Left blank, "
                                 "they see the text above (or, while it is the portal's "
                                 "own, its translation).") if setting == "crisis_text"
                               else _("How it reads in documents in this language. Left "
                                      "blank, a version in this language that quotes it "
                                      "cannot be published.")),
                    widget=(forms.Textarea(attrs={"rows": 4, "lang": code})
                            if setting == "crisis_text" else forms.TextInput(attrs={"lang": code})),
                    initial=self.instance.worded(setting, code),
                )
                self.fields[other_language_field(setting, code)] = field

    def clean(self) -> dict[str, Any]:
        """A value quoted in a sentence of a consent document stays on one line and holds
        no square bracket (brackets mark the placeholders still to fill), in every
        language. The other languages' wordings are gathered into ``in_other_languages``
        (a language the portal no longer offers keeps what it had)."""
        super().clean()
        cleaned = self.cleaned_data  # what clean() returns; the stubs allow it None
        quoted = list(DOCUMENT_TEXT_SETTINGS) + [
            other_language_field(setting, code) for setting in WORDED_SETTINGS
            if setting in DOCUMENT_TEXT_SETTINGS for code in other_languages()]
        for name in quoted:
            value = cleaned.get(name) or ""
            if "[" in value or "]" in value:
                self.add_error(name, _("Please leave out square brackets: the consent "
                                       "documents use them to mark what is still to fill "
                                       "in."))
            elif "\n" in value or "\r" in value:
                self.add_error(name, _("Please keep this to one line."))
        wordings = {code: dict(values) for code, values
                    in (self.instance.in_other_languages or {}).items()
                    if isinstance(values, dict)}
        for code in other_languages():
            language = wordings.setdefault(code, {})
            for setting in WORDED_SETTINGS:
                name = other_language_field(setting, code)
                value = cleaned.pop(name, None) or ""
                if name not in self.data:  # a post from before this language: kept
                    continue
                if value:
                    language[setting] = value
                else:
                    language.pop(setting, None)
            if not language:
                del wordings[code]
        cleaned["in_other_languages"] = wordings
        return cleaned

    def groups(self) -> list[tuple[StrOrPromise, list[forms.BoundField]]]:
        """The page's sections, each with its fields, in order; a setting written in words
        is followed by its wording in each other language."""
        return [(legend, [self[field] for name in names
                          for field in (name, *(other_language_field(name, code)
                                                for code in other_languages()
                                                if name in WORDED_SETTINGS))])
                for legend, names in PRACTICE_SETTINGS_GROUPS]


def other_languages() -> list[str]:
    """The offered languages other than the portal's default, in the order offered."""
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def other_language_field(setting: str, language: str) -> str:
    """The form field holding ``setting``'s wording in ``language``."""
    return f"{setting}__{language}"


class StaffNameForm(SingleValueFieldsMixin, forms.Form):
    """The name clients see beside what a staff member did ("Who has opened my record")."""

    display_name = TypedTextField(
        label=_("Your name as clients see it"), required=True, strip=True,
        max_length=User._meta.get_field("display_name").max_length,
        help_text=_("Shown to clients on their \"Who has opened your record\" page, for "
                    "example \"Dr. Sam Rivera\" or \"Sam (practice manager)\"."))

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not has_letter(name) or len(name) < 2:
            raise forms.ValidationError(_("Please enter a name of at least two characters, "
                                          "with letters."), code="too_short")
        return name


class AddWebAuthnForm(SingleValueFieldsMixin, allauth_webauthn_forms.AddWebAuthnForm):
    """allauth's form for adding a security key; Django would label its field "Name" from
    the field's own name, which no translation reaches."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name")
