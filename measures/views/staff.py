"""The staff pages of the measures: a clinician's caseload of scores, one client's trends,
marking a worsening reviewed, and the FHIR download of a client's scores.

Every page here decrypts scores, so every opening is recorded through
``portal.audit.reads``: the trend page as one ``measures.trend_viewed`` event about the
client, the caseload as one ``measures.caseload_viewed`` event per listed client with
scores (recorded in one batch, so the page's queries do not grow with the caseload). Who
may open whose scores is decided in one place: ``measures.access``.
"""

from __future__ import annotations

import json
import uuid

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST, require_safe

from measures.access import open_flag_of_record_or_404, staff_record_or_404
from measures.caseload import DEFAULT_SORT, SORTS, caseload
from measures.exports.fhir import FHIR_JSON, patient_reference, series_bundle
from measures.instrument_scales import definition_of
from measures.models import MeasureResponse, ReviewFlag
from measures.review_flags import review_flag_clear
from measures.trends import record_trends
from portal.access import permission_or_404
from portal.audit.actions import Action
from portal.audit.reads import audited_read, audited_read_of_each
from portal.downloads import attachment
from portal.http import AuthenticatedHttpRequest
from portal.models import Case, User


def schedule_location(client: User, case: Case | None) -> str:
    """The check-in schedule page of the client's individual record, or of ``case``."""
    url = reverse("measures_staff_schedule", args=[client.pk])
    return f"{url}?case={case.pk}" if case is not None else url


def trend_location(client: User, case: Case | None) -> str:
    """The trend page of the client's individual record, or of their part of ``case``."""
    if case is None:
        return reverse("measures_staff_trend", args=[client.pk])
    return reverse("measures_staff_case_trend", args=[client.pk, case.pk])


@require_safe
@permission_or_404("access_staff_pages")
def staff_caseload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The caseload of scores: each client whose individual record the staff member may
    open and who has scores or check-ins there, with the latest PHQ-9 and GAD-7, the
    change since the first score and a sparkline; those with a worsening first. Sortable
    (``?sort=``, one of ``SORTS``). Each listed client with scores has the opening
    recorded on their own trail."""
    sort = request.GET.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    listed = audited_read_of_each(
        Action.MEASURES_CASELOAD_VIEWED, read=lambda: caseload(request.user, sort=sort),
        actor=request.user,
        subjects=lambda found: [row.client_id for row in found.rows
                                if any(cell is not None for cell in row.cells)],
    )
    return render(request, "measures/staff/caseload.html", {
        "caseload": listed, "sort": sort, "sorts": SORTS, "sort_label": SORTS[sort],
    })


def _render_trend(request: AuthenticatedHttpRequest, client: User,
                  case: Case | None) -> HttpResponse:
    trends = audited_read(
        Action.MEASURES_TREND_VIEWED,
        read=lambda: record_trends(client.pk, case.pk if case else None),
        actor=request.user, subject=client, target=case,
        record_if=bool,
    )
    return render(request, "measures/staff/trend.html", {
        "client": client, "client_label": client.display_name or client.email,
        "case": case, "trends": trends, "here": trend_location(client, case),
        "schedule_url": schedule_location(client, case),
    })


@require_safe
@permission_or_404("access_staff_pages")
def staff_trend(request: AuthenticatedHttpRequest, client_id: uuid.UUID) -> HttpResponse:
    """One client's scores over time in their individual record: per instrument the
    chart, the table and the change since the first score, with any worsening waiting to
    be reviewed. 404 for anyone who may not open the record."""
    client, case = staff_record_or_404(request.user, client_id)
    return _render_trend(request, client, case)


@require_safe
@permission_or_404("access_staff_pages")
def staff_case_trend(request: AuthenticatedHttpRequest, client_id: uuid.UUID,
                     case_id: uuid.UUID) -> HttpResponse:
    """One person's scores over time in a couple or family case (the CSI-4 of a couple,
    for one), for the case's care team; 404 for anyone else."""
    client, case = staff_record_or_404(request.user, client_id, case_id)
    return _render_trend(request, client, case)


@require_POST
@permission_or_404("access_staff_pages")
def staff_flag_reviewed(request: AuthenticatedHttpRequest, client_id: uuid.UUID,
                        flag_id: uuid.UUID) -> HttpResponse:
    """A staff member who may open the client's record marks a worsening reviewed (the
    flag closes; recorded). The record is the flag's own: individual or the case named by
    ``?case=``. A flag already reviewed, or someone else's, is a 404; a second click
    finds it reviewed and changes nothing."""
    case_id = request.POST.get("case") or None
    client, case = staff_record_or_404(request.user, client_id, case_id)
    try:
        flag = open_flag_of_record_or_404(client, case, flag_id)
    except Http404:
        if ReviewFlag.objects.filter(pk=flag_id, client=client,
                                     reviewed_at__isnull=False).exists():
            messages.info(request, gettext("This was already marked reviewed."))
            return redirect(trend_location(client, case))
        raise
    review_flag_clear(flag=flag, by=request.user)
    messages.success(request, gettext("Marked reviewed. Thank you."))
    return redirect(trend_location(client, case))


@require_safe
@permission_or_404("access_staff_pages")
@reauthentication_required
def staff_scores_fhir(request: AuthenticatedHttpRequest, client_id: uuid.UUID) -> HttpResponse:
    """Every score of the client's individual record as FHIR R4 (a Bundle of a
    ``QuestionnaireResponse`` and an ``Observation`` of the total per response), for the
    care team; the password is asked for again first, and the download is recorded."""
    client, _case = staff_record_or_404(request.user, client_id)

    def build() -> str:
        responses = (MeasureResponse.objects.filter(client=client, case__isnull=True)
                     .order_by("taken_at", "id").with_data_keys())
        bundle = series_bundle(list(responses), definition_of,
                               patient_reference=patient_reference(client.pk))
        return json.dumps(bundle, ensure_ascii=False, indent=2)

    content = audited_read(Action.MEASURES_EXPORTED, read=build, actor=request.user,
                           subject=client, detail={"format": "fhir"})
    return attachment(content.encode(), f"{FHIR_JSON}; charset=utf-8",
                      f"scores-{client.pk.hex[:8]}.json")
