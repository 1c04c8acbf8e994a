"""The "Outgoing messages" page: emails the worker gave up on, with a "Retry" button each,
and emails it is still trying to send. For practice admins (``manage_outgoing_messages``);
everyone else gets a 404.

What an admin sees is what they can act on without reading anyone's mail: who the email
was for (a role), what kind it was, how often it was tried, the class of the last error and
when it gave up or will be tried next (``portal.mail.review`` reads nothing else).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from portal.access import get_outgoing_message_for_user, permission_or_404
from portal.http import AuthenticatedHttpRequest
from portal.mail.delivery import retry_failed
from portal.mail.review import RETRYING_SHOWN, given_up_values, retrying_rows, rows_of

PAGE_SIZE = 25


@require_safe
@permission_or_404("manage_outgoing_messages")
def outgoing_messages(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Given-up emails (latest give-up first, 25 a page), then the newest of those still
    being retried, with how many there are."""
    page = Paginator(given_up_values(), PAGE_SIZE).get_page(request.GET.get("page"))
    retrying, retrying_count = retrying_rows()
    return render(request, "portal/outgoing_messages.html", {
        "page": page,
        "given_up": rows_of(page.object_list),
        "retrying": retrying,
        "retrying_count": retrying_count,
        "retrying_shown": RETRYING_SHOWN,
    })


@require_POST
@permission_or_404("manage_outgoing_messages")
def outgoing_message_retry(request: AuthenticatedHttpRequest, message_id: str) -> HttpResponse:
    """Put one given-up email back in the queue (audited as ``mail.retried``), then back to
    the list. A message no longer given up (retried already) is left alone and the admin is
    told so."""
    message = get_outgoing_message_for_user(request.user, message_id)
    if retry_failed(message, actor=request.user):
        messages.success(request, _("The email is back in the queue. A worker will try to "
                                    "send it again in a moment."))
    else:
        messages.info(request, _("That email is no longer waiting for a retry: it was "
                                 "already put back in the queue. Nothing was changed."))
    return redirect("outgoing_messages")
