"""Error pages that stay calm and say what to do next."""

from __future__ import annotations

import sys

from django.contrib.auth.decorators import login_not_required
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader

# How long a browser or proxy should wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 60


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form was sent without a valid security token (usually an old tab or expired
    session). The reason is not shown: it helps attackers more than people."""
    return render(request, "403_csrf.html", {}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler (``handler500``), called while the uncaught exception is being
    handled. A database that cannot be reached (``OperationalError``, ``InterfaceError``)
    is an outage, not a bug: it gets a calm 503 with ``Retry-After``, saying that nothing
    was half-saved (every write runs in a transaction, which the database rolls back).
    Anything else is the plain 500 page. Both render without a request context, since
    neither the database nor the session may be usable."""
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponse(loader.get_template("500.html").render(), status=500)
