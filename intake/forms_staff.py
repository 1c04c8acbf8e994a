"""Forms of the staff intake pages."""

from __future__ import annotations

from django import forms
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from intake.models import ACKNOWLEDGEMENT_NOTE_MAX_LENGTH
from intake.safety_alerts import clean_acknowledgement_note
from portal.input_checks import SingleValueFieldsMixin


def _note_help() -> str:
    """The note's help, in the reader's language, the limit written as they write numbers."""
    return gettext('For example "Called the client, safety plan agreed". Up to %(limit)s '
                   "characters. Kept with the intake, encrypted; the client's care team can "
                   "read it.") % {
        "limit": number_format(ACKNOWLEDGEMENT_NOTE_MAX_LENGTH, force_grouping=True)}


class AcknowledgementForm(SingleValueFieldsMixin, forms.Form):
    """"I have seen this and will follow up", with a short note of what was done.

    The rules live in ``clean_acknowledgement_note`` (the service applies them too); the
    form only carries them to the page, and keeps what was typed when they refuse it.
    """

    note = forms.CharField(
        label=_("What you did or will do"),
        help_text=lazy(_note_help, str)(),
        # Length and blankness are checked by clean_note once line endings are made plain,
        # and there is no maxlength attribute: a browser would silently cut a pasted note,
        # whereas the server refuses it and gives it back whole.
        strip=False,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_note(self) -> str:
        # A refusal is a ValidationError, shown next to the field.
        return clean_acknowledgement_note(self.cleaned_data.get("note") or "")
