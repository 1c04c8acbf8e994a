"""What a staff member is told after acknowledging a safety alert, on an intake's page or
an alert's own page: one wording for both. Messages name no client detail and never repeat
the note."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext

from intake.safety_alerts import AcknowledgementOutcome
from intake.selectors import person_label
from portal.formatting import format_when


def tell_acknowledged(request: HttpRequest, outcome: AcknowledgementOutcome) -> None:
    """The message for ``outcome`` (``close_alert``'s): stored once, first and closing, a
    further note of one's own, or a note added after a colleague closed the alert."""
    alert = outcome.alert
    if outcome.acknowledgement is None:
        messages.info(request, gettext("You had just sent this note. It is saved once."))
    elif outcome.first:
        messages.success(request, gettext("Thank you. The safety alert is marked as seen by "
                                          "you, with your note."))
    elif alert.closed_by_id == request.user.pk:
        messages.success(request, gettext("Thank you. Your further note is added to the "
                                          "safety alert's acknowledgements."))
    else:
        who = capfirst(person_label(alert.closed_by))
        messages.success(request, gettext(
            "Thank you. Your note is added. %(who)s had acknowledged this safety alert first, "
            "on %(when)s; their note is kept too.") % {
                "who": who, "when": format_when(alert.closed_at)})
