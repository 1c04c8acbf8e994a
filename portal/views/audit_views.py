"""The staff audit trail: a filtered, paginated page and a CSV export of the same events.

Both start from ``events_visible_to``: practice admins read every event, clinicians only
events about their own clients, whatever the filters ask for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any
from urllib.parse import urlencode

from allauth.account.decorators import reauthentication_required
from django.core.paginator import Paginator
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from portal.access import permission_or_404
from portal.audit.actions import Action
from portal.audit.forms import AuditFilterForm
from portal.audit.models import AuditEvent
from portal.audit.reads import audited_read
from portal.audit.selectors import (
    events_visible_to,
    filter_events,
    open_audit_alerts,
    with_staff_names,
)
from portal.downloads import neutralise, streamed_csv
from portal.models import User

PAGE_SIZE = 50
EXPORT_BATCH = 2000
CSV_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_email",
    "actor_role",
    "action",
    "subject_id",
    "subject_email",
    "object_type",
    "object_id",
    "request_id",
    "ip_address",
    "user_agent",
    "detail",
    "mac",
)


def _filtered_events(
    request: HttpRequest,
) -> tuple[AuditFilterForm, QuerySet[AuditEvent], bool]:
    """The form, the events the user may read narrowed by valid filters, and whether any
    filter applied. Invalid filters narrow nothing (the form shows why)."""
    form = AuditFilterForm(request.GET, viewer=request.user)
    events = events_visible_to(request.user)
    filtered = False
    if form.is_valid():
        events, filtered = filter_events(events, form.cleaned_data)
    return form, events, filtered


def _render_log(
    request: HttpRequest,
    form: AuditFilterForm,
    events: QuerySet[AuditEvent],
    filtered: bool,
    status: int = 200,
) -> HttpResponse:
    page = Paginator(events.order_by("-seq"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = form.query()
    context = {
        "form": form,
        "page": page,
        "rows": with_staff_names(list(page.object_list)),
        "filtered": filtered,
        # Ends with "&" when not empty, so templates append "page=N" directly.
        "filter_query": f"{urlencode(query)}&" if query else "",
        "export_query": urlencode(query),
        "can_read_everything": request.user.has_perm("portal.view_audit_log"),
        "audit_alerts": open_audit_alerts(request.user),
    }
    return render(request, "portal/audit_log.html", context, status=status)


@require_safe
@permission_or_404("access_staff_pages")
def audit_log(request: HttpRequest) -> HttpResponse:
    """Audit events newest first, 50 a page; page links keep the (valid) filters, and carry
    only ids, action codes and dates."""
    form, events, filtered = _filtered_events(request)
    return _render_log(request, form, events, filtered)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return neutralise(str(value))


def _csv_line(event: AuditEvent, emails: dict[Any, str]) -> list[str]:
    values = (
        event.seq,
        event.occurred_at.astimezone(UTC).isoformat(),
        event.actor_id,
        emails.get(event.actor_id, "") if event.actor_id else "",
        event.actor_role,
        event.action,
        event.subject_id,
        emails.get(event.subject_id, "") if event.subject_id else "",
        event.object_type,
        event.object_id,
        event.request_id,
        event.ip_address,
        event.user_agent,
        json.dumps(event.detail, sort_keys=True, separators=(",", ":")),
        bytes(event.mac).hex(),
    )
    return [_cell(value) for value in values]


def _csv_rows(events: QuerySet[AuditEvent], last_seq: int | None) -> Iterator[list[str]]:
    """Events up to ``last_seq`` in sequence order, read in keyset pages of
    ``EXPORT_BATCH`` (never OFFSET, never the whole table at once), each page's actor and
    client emails fetched in one query."""
    yield list(CSV_COLUMNS)
    if last_seq is None:
        return
    after = 0
    while True:
        batch = list(
            events.filter(seq__gt=after, seq__lte=last_seq)
            .order_by("seq")
            .defer("prev_mac")[:EXPORT_BATCH]
        )
        if not batch:
            return
        ids = {i for e in batch for i in (e.actor_id, e.subject_id) if i is not None}
        emails = dict(User.objects.filter(pk__in=ids).values_list("pk", "email"))
        for event in batch:
            yield _csv_line(event, emails)
        if len(batch) < EXPORT_BATCH:
            return
        after = batch[-1].seq


@require_safe
@permission_or_404("access_staff_pages")
@reauthentication_required
def audit_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The events the page would list (same permission, same filters) as CSV.

    A file of who did what leaves the portal here, so the password (or a second-factor code)
    is asked for again first, as before other sensitive actions. The export is itself
    recorded, once, before the first byte goes out, with the number of
    rows and whether it was filtered. The rows are fixed at that moment (up to the last
    sequence number counted), so the count recorded is the count delivered, and events
    appended while the file streams (this export's own included) are left out. Invalid
    filters export nothing and record nothing: the page comes back (400) saying why.
    """
    form, events, filtered = _filtered_events(request)
    if not form.is_valid():
        return _render_log(request, form, events, filtered, status=400)
    totals = audited_read(
        Action.AUDIT_EXPORTED,
        read=lambda: events.aggregate(rows=Count("seq"), last_seq=Max("seq")),
        actor=request.user,
        detail=lambda totals: {"rows": totals["rows"], "filtered": filtered},
    )
    return streamed_csv(_csv_rows(events, totals["last_seq"]),
                        f"audit-{timezone.localdate().isoformat()}.csv")
