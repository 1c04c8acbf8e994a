"""Endpoints behind the idle-timeout warning."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from portal.middleware import idle_seconds_left


@login_not_required
@never_cache
@require_safe
def session_status(request: HttpRequest) -> JsonResponse:
    """How long this session has left. Passive: asking does not count as activity, so a
    forgotten tab cannot keep a session alive by polling."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False, "seconds_left": 0})
    return JsonResponse({"authenticated": True, "seconds_left": idle_seconds_left(request)})


@never_cache
@require_POST
def session_keepalive(request: HttpRequest) -> JsonResponse:
    """'Stay signed in': a POST (CSRF-checked) that counts as activity."""
    return JsonResponse({"authenticated": True, "seconds_left": idle_seconds_left(request)})
