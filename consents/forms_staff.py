"""Forms of the practice admin's consent pages.

The filter form is a GET form whose values are ids and state codes only, so a filtered
page's URL never carries a name or an email.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms

from consents.models import ConsentDocument, ConsentVersion, Requirement
from consents.placeholders import fill_placeholders
from consents.register import ATTENTION_STATES, STATE_LABELS
from portal.input_checks import SingleValueFieldsMixin
from portal.models import PracticeSettings
from portal.text import TypedTextField

NOT_IN_LIST = "Choose from the list."


class DateInput(forms.DateInput):
    input_type = "date"


class OutstandingFilterForm(SingleValueFieldsMixin, forms.Form):
    """Narrow the outstanding list to one document and/or one state."""

    document = forms.ChoiceField(
        label="Document", required=False, error_messages={"invalid_choice": NOT_IN_LIST},
        help_text="Without a choice, the documents clients are required to sign.",
    )
    state = forms.ChoiceField(
        label="State", required=False, error_messages={"invalid_choice": NOT_IN_LIST},
        choices=[("", "Never signed or must sign again"),
                 *((state, STATE_LABELS[state]) for state in ATTENTION_STATES)],
    )

    def __init__(self, *args: Any, documents: list[ConsentDocument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["document"]).choices = [
            ("", "Every required document"),
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
    """A draft's wording. Numbers, hashes and publication are set by ``version_publish``.
    The texts are typed (or pasted): control characters are removed (``portal.text``), and
    each placeholder whose practice setting is filled in is replaced by its value
    (``consents.placeholders``), so the preview shows what clients will read."""

    class Meta:
        model = ConsentVersion
        fields = ("summary", "body", "effective_date", "change_note", "material_change")
        field_classes = dict.fromkeys(("summary", "body", "change_note"), TypedTextField)
        labels = {
            "summary": "Summary (what the client reads first)",
            "body": "Full text",
            "effective_date": "Effective date",
            "change_note": "What changed (for the practice's records)",
            "material_change": "This is a material change: clients who signed an earlier "
                               "version must sign again",
        }
        help_texts = {
            "body": "Markdown: # headings, **bold**, lists with - . Placeholders such as "
                    "[session fee] are replaced by the practice settings when you save; a "
                    "draft that still has one cannot be published.",
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 20, "class": "font-monospace"}),
            "change_note": forms.Textarea(attrs={"rows": 3}),
            "effective_date": DateInput(format="%Y-%m-%d"),
        }

    def _filled(self, name: str) -> str:
        return fill_placeholders(self.cleaned_data[name], PracticeSettings.load())

    def clean_summary(self) -> str:
        return self._filled("summary")

    def clean_body(self) -> str:
        return self._filled("body")


class RequirementForm(SingleValueFieldsMixin, forms.Form):
    """When clients need a document, and whether a clinician countersigns it."""

    requirement = forms.ChoiceField(
        label="When clients need it", choices=Requirement.choices, widget=forms.RadioSelect,
        error_messages={"invalid_choice": NOT_IN_LIST, "required": "Choose one."},
    )
    countersign_required = forms.BooleanField(
        required=False, label="A clinician on the care team countersigns each signature",
    )
