"""Forms of the measures' staff pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from intake.api import current_instrument
from measures.instruments import allowed_instruments
from measures.models import Frequency
from portal.input_checks import SingleValueFieldsMixin
from portal.models import Case


class ScheduleForm(SingleValueFieldsMixin, forms.Form):
    """A clinician's check-in schedule for one record: which questionnaires, how often.
    The rules (known instruments, the CSI-4 only in a couple case, at least one) are the
    service's (``schedule_set``); the form offers only what the record may be asked."""

    instruments = forms.MultipleChoiceField(
        label=_("Questionnaires"), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Please choose at least one questionnaire.")})
    frequency = forms.ChoiceField(
        label=_("How often"), choices=Frequency.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Please choose how often."),
                        "invalid_choice": _("Please choose how often.")})

    def __init__(self, *args: Any, case: Case | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["instruments"]
        if not isinstance(field, forms.MultipleChoiceField):  # pragma: no cover - declared above
            raise TypeError("instruments is a multiple choice")
        field.choices = [(slug, current_instrument(slug).title)
                         for slug in allowed_instruments(case)]
        field.error_messages["invalid_choice"] = _("Please choose from the questionnaires listed.")
        self.take_out_repeated_fields()
