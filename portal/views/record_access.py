"""A client's own "Who has opened my record": the audit trail, as the client may read it."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from portal.access import permission_or_404
from portal.audit.selectors import record_access_for_client, with_client_safe_names
from portal.http import AuthenticatedHttpRequest

ACCESS_PER_PAGE = 25


@require_safe
@permission_or_404("access_client_pages")
def record_access(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in client's own "Who has opened my record": staff openings and exports of
    their record only, newest first, with each staff member's display name and role."""
    events = record_access_for_client(request.user)
    page = Paginator(events, ACCESS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "entries": with_client_safe_names(list(page.object_list))}
    return render(request, "portal/record_access.html", context)
