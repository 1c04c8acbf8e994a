"""The client's own progress: their scores over time in plain, kind words, and a PDF copy.

A client reads only their own scores (the signed-in account's; there is no id in the URL
to change). Whether scores are shown at all is the practice's choice
(``PracticeSettings.clients_see_scores``, on by default): some clinicians prefer to talk
scores through in session, and then the page says when the client checked in and nothing
of what the scores were. The download is recorded (``measures.exported``), as a client's
copy of their intake is.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from measures.exports.pdf import trend_pdf
from measures.models import MeasureResponse
from measures.trends import InstrumentTrend, record_trends
from portal.access import permission_or_404
from portal.audit.actions import Action
from portal.audit.reads import audited_read
from portal.downloads import attachment
from portal.http import AuthenticatedHttpRequest
from portal.models import Case, CaseKind, PracticeSettings, User
from portal.services.profiles import profile_of

PDF = "application/pdf"
RECORD_TITLES: dict[str | None, Promise] = {
    None: _("Your check-ins"),
    CaseKind.COUPLE.value: _("Your check-ins for couple sessions"),
    CaseKind.FAMILY.value: _("Your check-ins for family sessions"),
}


@dataclass(frozen=True)
class RecordProgress:
    title: str
    case: Case | None
    trends: list[InstrumentTrend]


def _records_with_scores(client: User) -> list[Case | None]:
    """The client's individual record and each case of theirs that has scores (plaintext
    only: which records, not what)."""
    case_ids = set(MeasureResponse.objects.filter(client=client)
                   .values_list("case_id", flat=True))
    cases: list[Case | None] = [None] if None in case_ids else []
    cases += list(Case.objects.filter(pk__in=[c for c in case_ids if c is not None])
                  .order_by("created_at"))
    return cases


def own_progress(client: User) -> list[RecordProgress]:
    """Every record of the client's with scores, each with its trends (decrypted: the
    client reads their own)."""
    return [
        RecordProgress(str(RECORD_TITLES.get(case.kind if case else None, RECORD_TITLES[None])),
                       case, record_trends(client.pk, case.pk if case else None,
                                           dom_prefix=f"progress-{case.pk.hex[:8]}"
                                           if case else "progress"))
        for case in _records_with_scores(client)
    ]


def _check_in_dates(client: User) -> list[object]:
    return list(MeasureResponse.objects.filter(client=client)
                .order_by("-taken_at").values_list("taken_at", flat=True).distinct()[:50])


@require_safe
@permission_or_404("access_client_pages")
def progress(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in client's scores over time, or, where the practice keeps scores for
    the session, only when they checked in."""
    practice = PracticeSettings.load()
    if not practice.clients_see_scores:
        return render(request, "measures/progress.html", {
            "scores_shown": False, "check_in_dates": _check_in_dates(request.user)})
    return render(request, "measures/progress.html", {
        "scores_shown": True, "records": own_progress(request.user)})


def _name_on_copy(client: User) -> str:
    profile = profile_of(client)
    if profile is not None:
        return profile.preferred_name or profile.legal_name or client.email
    return client.email


@require_safe
@permission_or_404("access_client_pages")
def progress_pdf(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in client's progress as a PDF: every instrument of every record of
    theirs, with the same kind words. 404 where the practice does not show clients their
    scores, or there are none yet. Recorded as an export by the client."""
    if not PracticeSettings.load().clients_see_scores:
        raise Http404
    client = request.user

    def build() -> bytes:
        trends = [(trend.definition, list(trend.points))
                  for record in own_progress(client) for trend in record.trends]
        if not trends:
            raise Http404
        return trend_pdf(trends, practice_name=PracticeSettings.load().name,
                         client_label=_name_on_copy(client), made_on=timezone.now())

    content = audited_read(Action.MEASURES_EXPORTED, read=build, actor=client,
                           subject=client, detail={"format": "pdf"})
    return attachment(content, PDF, "my-progress.pdf")
