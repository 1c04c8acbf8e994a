"""The care team's check-in schedule for one client: set it (which questionnaires, how
often, or once now), see the latest check-ins' states, end it.

One page per record: the client's individual record, or their part in a couple or family
case (``?case=<id>``, a hidden field when posted). Who may open it is decided in one place
(``measures.access.may_open_record``, after ``get_client_for_staff`` and
``get_case_for_staff``): anyone else gets a 404. Plaintext workflow columns only: nothing
is decrypted here.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from intake.api import current_instrument
from measures.access import may_open_record
from measures.forms import ScheduleForm
from measures.models import CheckIn, CheckInSchedule, Frequency
from measures.schedules import schedule_end, schedule_set
from portal.access import get_case_for_staff, get_client_for_staff, permission_or_404
from portal.http import AuthenticatedHttpRequest
from portal.models import Case, User

RECENT_CHECK_INS = 10


def _record_or_404(request: AuthenticatedHttpRequest, client_id: str
                   ) -> tuple[User, Case | None]:
    """The client and (for a case) the case the page is about, if the staff member may
    schedule check-ins there; 404 otherwise, as for an id that does not exist."""
    client = get_client_for_staff(request.user, client_id)
    raw_case = request.POST.get("case") if request.method == "POST" else request.GET.get("case")
    case = get_case_for_staff(request.user, raw_case) if raw_case else None
    if not may_open_record(request.user, client=client, case=case):
        raise Http404
    return client, case


def _page_url(client: User, case: Case | None) -> str:
    url = reverse("measures_staff_schedule", args=[client.pk])
    return f"{url}?case={case.pk}" if case is not None else url


def _render(request: HttpRequest, client: User, case: Case | None, form: ScheduleForm,
            status: int = 200) -> HttpResponse:
    current = CheckInSchedule.objects.filter(client=client, case=case, active=True).first()
    context = {
        "client": client,
        "client_label": client.display_name or client.email,
        "case": case,
        "current": current,
        "current_titles": [current_instrument(slug).title
                           for slug in (current.instruments if current else [])],
        "current_frequency": Frequency(current.frequency).label if current else "",
        "recent": CheckIn.objects.filter(client=client, case=case)
        .defer("answers", "declined").order_by("-due_at")[:RECENT_CHECK_INS],
        "form": form,
    }
    return render(request, "measures/staff/schedule.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@permission_or_404("access_staff_pages")
def staff_schedule(request: AuthenticatedHttpRequest, client_id: str) -> HttpResponse:
    """GET shows the record's schedule and the form; POST sets a new schedule
    (``schedule_set``: the current one ends, the first check-in opens now) or, with
    ``action=end``, ends the current one. A refused choice comes back on the page (400)."""
    client, case = _record_or_404(request, client_id)
    if request.method != "POST":
        return _render(request, client, case, ScheduleForm(case=case))
    if request.POST.get("action") == "end":
        current = CheckInSchedule.objects.filter(client=client, case=case, active=True).first()
        if current is not None:
            schedule_end(schedule=current, by=request.user)
            messages.success(request, gettext("The check-ins have stopped. A check-in already "
                                              "waiting stays open until it is sent or "
                                              "closes."))
        return redirect(_page_url(client, case))
    form = ScheduleForm(request.POST, case=case)
    if not form.is_valid():
        return _render(request, client, case, form, status=400)
    try:
        schedule_set(client=client, case=case, instruments=form.cleaned_data["instruments"],
                     frequency=form.cleaned_data["frequency"], by=request.user)
    except ValidationError as error:
        form.add_error(None, error)
        return _render(request, client, case, form, status=400)
    messages.success(request, gettext("The check-ins are set. The first is waiting for the "
                                      "client now, and they will get a reminder email."))
    return redirect(_page_url(client, case))
