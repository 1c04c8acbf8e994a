"""Forms of the practice admin's consent pages.

The filter form is a GET form whose values are ids and state codes only, so a filtered
page's URL never carries a name or an email.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from consents.models import ConsentDocument, ConsentVersion, Requirement
from consents.placeholders import fill_placeholders
from consents.register import ATTENTION_STATES, STATE_LABELS
from portal.input_checks import SingleValueFieldsMixin
from portal.models import PracticeSettings
from portal.text import TypedTextField

NOT_IN_LIST = _("Choose from the list.")


class DateInput(forms.DateInput):
    input_type = "date"


class OutstandingFilterForm(SingleValueFieldsMixin, forms.Form):
    """Narrow the outstanding list to one document and/or one state."""

    document = forms.ChoiceField(
        label=_("Document"), required=False, error_messages={"invalid_choice": NOT_IN_LIST},
        help_text=_("Without a choice, the documents clients are required to sign."),
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, error_messages={"invalid_choice": NOT_IN_LIST},
        choices=[("", _("Never signed or must sign again")),
                 *((state, STATE_LABELS[state]) for state in ATTENTION_STATES)],
    )

    def __init__(self, *args: Any, documents: list[ConsentDocument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["document"]).choices = [
            ("", _("Every required document")),
            *((str(document.id), document.title) for document in documents),
        ]

    def clean_document(self) -> uuid.UUID | None:
        value = self.cleaned_data.get("document")
        return uuid.UUID(value) if value else None

    def query(self) -> dict[str, str]:
        """The valid filters as URL parameters (a document id, a state code)."""
        if not self.is_valid():
            return {}
        return {name: str(value) for name, value in self.cleaned_data.items() if value}


class VersionForm(SingleValueFieldsMixin, forms.ModelForm):
    """A draft's language and wording. Numbers, hashes and publication are set by
    ``version_publish``. The texts are typed (or pasted): control characters are removed
    (``portal.text``), and each placeholder whose practice setting is filled in is replaced
    by its value (``consents.placeholders``), so the preview shows what clients will read.
    The language is one the portal offers: each language's text is its own version."""

    language = forms.ChoiceField(
        label=_("Language of this text"), choices=settings.LANGUAGES, required=False,
        error_messages={"invalid_choice": NOT_IN_LIST},
        help_text=_("Clients who read this language sign this version. A material change "
                    "asks again only the clients who signed a version in this language."),
    )

    class Meta:
        model = ConsentVersion
        fields = ("language", "title", "summary", "body", "effective_date", "change_note",
                  "material_change")
        field_classes = dict.fromkeys(("title", "summary", "body", "change_note"),
                                      TypedTextField)
        labels = {
            "title": _("Title, in this language"),
            "summary": _("Summary (what the client reads first)"),
            "body": _("Full text"),
            "effective_date": _("Effective date"),
            "change_note": _("What changed (for the practice's records)"),
            "material_change": _("This is a material change: clients who signed an earlier "
                                 "version must sign again"),
        }
        help_texts = {
            "title": _("Left empty, the document's title is used."),
            "body": _("Markdown: # headings, **bold**, lists with - . Placeholders such as "
                      "[session fee] are replaced by the practice settings when you save; a "
                      "draft that still has one cannot be published."),
            "material_change": _("Only clients who signed an earlier version in the same "
                                 "language are asked again."),
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 20, "class": "font-monospace"}),
            "change_note": forms.Textarea(attrs={"rows": 3}),
            "effective_date": DateInput(format="%Y-%m-%d"),
        }

    def clean_language(self) -> str:
        """The language chosen; none sent keeps the draft's (a new draft's: the one it was
        started in)."""
        return str(self.cleaned_data.get("language") or self.instance.language
                   or settings.LANGUAGE_CODE)

    def _filled(self, name: str) -> str:
        return fill_placeholders(self.cleaned_data[name], PracticeSettings.load(),
                                 self.cleaned_data.get("language"))

    def clean_summary(self) -> str:
        return self._filled("summary")

    def clean_body(self) -> str:
        return self._filled("body")


class RequirementForm(SingleValueFieldsMixin, forms.Form):
    """When clients need a document, and whether a clinician countersigns it."""

    requirement = forms.ChoiceField(
        label=_("When clients need it"), choices=Requirement.choices, widget=forms.RadioSelect,
        error_messages={"invalid_choice": NOT_IN_LIST, "required": _("Choose one.")},
    )
    countersign_required = forms.BooleanField(
        required=False, label=_("A clinician on the care team countersigns each signature"),
    )
