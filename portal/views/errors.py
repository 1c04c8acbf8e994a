"""Error pages that stay calm and say what to do next."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form was sent without a valid security token (usually an old tab or expired
    session). The reason is not shown: it helps attackers more than people."""
    return render(request, "403_csrf.html", {}, status=403)
