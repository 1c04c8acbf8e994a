"""The form of the FHIR import page: one uploaded JSON file, read and checked here so the
view only hands a parsed resource to the service."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from portal.input_checks import SingleValueFieldsMixin

# The largest file accepted: a shipped questionnaire is about 50 KB as FHIR... times ten,
# with room; anything bigger is refused before it is parsed.
MAX_UPLOAD_BYTES = 1024 * 1024


def _no_constant(name: str) -> Any:
    raise ValueError(name)


class FhirImportForm(SingleValueFieldsMixin, forms.Form):
    """A FHIR R4 ``Questionnaire`` as a JSON file of at most ``MAX_UPLOAD_BYTES``;
    ``cleaned_data["resource"]`` is the parsed JSON (whether it is a valid Questionnaire
    the service decides)."""

    file = forms.FileField(
        label=gettext_lazy("FHIR Questionnaire file (JSON)"),
        error_messages={"required": gettext_lazy("Please choose a file to import."),
                        "empty": gettext_lazy("The file is empty."),
                        "invalid": gettext_lazy("Please choose a file to import.")},
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size is None or upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than 1 MB. A questionnaire is much smaller: "
                        "please check you chose the right file."))
        raw = upload.read(MAX_UPLOAD_BYTES + 1)
        if len(raw) > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(gettext("The file is larger than 1 MB."))
        try:
            resource = json.loads(raw.decode("utf-8-sig"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise forms.ValidationError(
                gettext("This file is not JSON. Please choose a FHIR Questionnaire saved as "
                        "JSON (a .json file).")) from None
        self.cleaned_data["resource"] = resource
        return upload
