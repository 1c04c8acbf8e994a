"""The staff page of a safety alert that is not an intake's: one raised by a check-in
between sessions (``/staff/alerts/<id>/``), with the same acknowledgement form as an
intake's alert (``close_alert``).

Who may open it is decided in one place, by the alert's client and case as for any record
kept per case (``get_alert_for_staff``): a stranger gets a 404. The page shows plaintext
workflow columns (who, when raised, when emailed, who closed it) and the acknowledgements'
notes, which are decrypted: reading them is recorded (``intake.safety_alert_viewed``). An
intake's alert has its intake's page, where the answers are: its address leads there.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from intake.access import get_alert_for_staff
from intake.forms_staff import AcknowledgementForm
from intake.models import SafetyAlert
from intake.safety_alerts import close_alert
from intake.selectors import person_label
from intake.views.acknowledgements import tell_acknowledged
from intake.views.staff import AcknowledgementRow, acknowledgement_rows
from portal.access import permission_or_404
from portal.audit.actions import Action
from portal.audit.reads import audited_read
from portal.crypto.errors import KeyDestroyedError
from portal.http import AuthenticatedHttpRequest


def record_link(alert: SafetyAlert) -> str:
    """Where staff read the client's check-ins: the client's trend (the measures' staff
    page, when it exists), else the record the alert belongs to (the case's page for a
    couple or family case, the client's record otherwise). Ids only."""
    try:
        return reverse("measures_staff_trend", args=[alert.client_id])
    except NoReverseMatch:
        if alert.case_id is not None:
            return reverse("case_detail", args=[alert.case_id])
        return reverse("client_profile", args=[alert.client_id])


def _read_acknowledgements(request: HttpRequest, alert: SafetyAlert
                           ) -> list[AcknowledgementRow] | None:
    """The acknowledgements with their notes, decrypted; the reading recorded when a note
    was decrypted. None when the client was erased (nothing can be read, nothing is
    recorded)."""
    try:
        return audited_read(
            Action.INTAKE_SAFETY_ALERT_VIEWED, read=lambda: acknowledgement_rows(alert),
            actor=request.user, subject=alert.client_id, target=alert,
            record_if=lambda rows: any(row.note is not None for row in rows),
        )
    except KeyDestroyedError:
        return None


def _render(request: HttpRequest, alert: SafetyAlert, *,
            form: AcknowledgementForm | None = None, status: int = 200) -> HttpResponse:
    context = {
        "alert": alert,
        "alert_open": alert.is_open,
        "client_label": person_label(alert.client),
        "acknowledgements": _read_acknowledgements(request, alert),
        "acknowledgement_form": form or AcknowledgementForm(),
        "record_link": record_link(alert),
    }
    return render(request, "intake/staff/alert_detail.html", context, status=status)


@require_safe
@permission_or_404("access_staff_pages")
def staff_alert_detail(request: AuthenticatedHttpRequest, alert_id: str) -> HttpResponse:
    """A safety alert the staff member may open (404 for the rest, via
    ``get_alert_for_staff``): a check-in's on this page, an intake's on its intake's."""
    alert = get_alert_for_staff(request.user, alert_id)
    if alert.intake_id is not None:
        return redirect("staff_intake_detail", intake_id=alert.intake_id)
    return _render(request, alert)


@require_POST
@permission_or_404("access_staff_pages")
def staff_alert_acknowledge(request: AuthenticatedHttpRequest, alert_id: str) -> HttpResponse:
    """A staff member who may open the alert's record confirms they have seen it and says
    what they did or will do (404 for everyone else, via ``get_alert_for_staff``), as on an
    intake's page: the first acknowledgement closes the alert, later ones are added, a
    resent form stores nothing (``close_alert``). A refused note comes back on the page
    (400) as typed. Messages name no client detail and never repeat the note."""
    alert = get_alert_for_staff(request.user, alert_id)
    form = AcknowledgementForm(request.POST)
    if not form.is_valid():
        return _render(request, alert, form=form, status=400)
    try:
        outcome = close_alert(alert=alert, by=request.user, note=form.cleaned_data["note"])
    except KeyDestroyedError:
        messages.info(request, gettext("This client's details were erased. Nothing can be "
                                       "added to their record."))
        return redirect("staff_alert_detail", alert_id=alert.pk)
    tell_acknowledged(request, outcome)
    return redirect("staff_alert_detail", alert_id=outcome.alert.pk)
