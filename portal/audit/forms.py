"""The staff audit trail's filter form (GET).

Every choice is an id, an action code or a date, so a filtered page's URL never carries a
name or an email. The client choices are the clients the viewer may see, so choosing any
other client is refused as an invalid choice rather than quietly answered.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, cast

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.access import clients_visible_to
from portal.audit.actions import ACTIONS
from portal.models import User
from portal.roles import Role

NOT_IN_LIST = _("Choose from the list.")
# The days a filter may name. The filter turns a practice-local day into the instants
# where it starts and where the next one starts; at the ends of the calendar (9999-12-31,
# or 0001-01-01 east of UTC) those fall outside what Python's datetime holds, and the page
# failed with a server error.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(9998, 12, 31)


class DateInput(forms.DateInput):
    input_type = "date"


def _staff_choices() -> list[tuple[str, str]]:
    """Clinicians, practice admins and superusers, active or not (history outlives jobs)."""
    staff = (
        User.objects.filter(
            Q(is_superuser=True)
            | Q(groups__name__in=[Role.CLINICIAN.value, Role.PRACTICE_ADMIN.value])
        )
        .distinct()
        .order_by("display_name", "email")
        .values_list("pk", "display_name", "email")
    )
    return [(str(pk), name or email) for pk, name, email in staff]


def _client_choices(viewer: User | AnonymousUser) -> list[tuple[str, str]]:
    clients = clients_visible_to(viewer).order_by("email")
    accounts = clients.values_list("pk", "display_name", "email")
    return [(str(pk), name or email) for pk, name, email in accounts]


class AuditFilterForm(forms.Form):
    """Narrow the audit trail by client, actor, action and a range of practice-local days."""

    client = forms.ChoiceField(
        label=_("Client"), required=False, error_messages={"invalid_choice": NOT_IN_LIST}
    )
    actor = forms.ChoiceField(
        label=_("Done by"), required=False, error_messages={"invalid_choice": NOT_IN_LIST}
    )
    action = forms.ChoiceField(
        label=_("Action"), required=False, error_messages={"invalid_choice": NOT_IN_LIST}
    )
    date_from = forms.DateField(label=pgettext_lazy("first day", "From"), required=False,
                                widget=DateInput)
    date_to = forms.DateField(
        label=pgettext_lazy("last day", "To"), required=False, widget=DateInput,
        help_text=_("Includes this whole day."),
    )

    def __init__(self, *args: Any, viewer: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = cast(dict[str, forms.ChoiceField], self.fields)  # these three are choice fields
        fields["client"].choices = [("", _("Any client")), *_client_choices(viewer)]
        fields["actor"].choices = [("", _("Anyone")), *_staff_choices()]
        fields["action"].choices = [
            ("", _("Any action")),
            *((action.value, spec.words) for action, spec in ACTIONS.items()),
        ]

    def _clean_uuid(self, name: str) -> uuid.UUID | None:
        value = self.cleaned_data.get(name)
        return uuid.UUID(value) if value else None

    def clean_client(self) -> uuid.UUID | None:
        return self._clean_uuid("client")

    def clean_actor(self) -> uuid.UUID | None:
        return self._clean_uuid("actor")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what clean() returns; the stubs allow it None
        for name in ("date_from", "date_to"):
            day = cleaned.get(name)
            if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
                self.add_error(name, forms.ValidationError(
                    _("Choose a date between 1900 and 9998."), code="date_out_of_range"))
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError(
                _("The 'from' date must be on or before the 'to' date."), code="date_range"
            )
        return cleaned

    def query(self) -> dict[str, str]:
        """The valid filters as URL parameters (ids, action codes, ISO dates), for page
        links and the export link. Empty when the form is not valid."""
        if not self.is_valid():
            return {}
        params = {}
        for name, value in self.cleaned_data.items():
            if value:
                params[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return params
