"""Choosing a language: a button on every page, before sign-in too."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from portal.i18n.languages import is_offered, remember_language


def _safe_next(request: HttpRequest) -> str:
    """Back to the page the button was on; never to another site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_not_required
@require_POST
def choose_language(request: HttpRequest) -> HttpResponseRedirect:
    """Remember the chosen language: in the cookie for this browser, and on the account of
    a signed-in person, so their emails, reminders and PDFs follow it. A code the portal
    does not speak changes nothing."""
    back = _safe_next(request)
    response = HttpResponseRedirect(back)
    code = request.POST.get("language", "")
    if not is_offered(code):
        return response
    remember_language(response, code)
    user = request.user
    if user.is_authenticated and getattr(user, "language", None) != code:
        user.language = code
        user.save(update_fields=["language"])
    return response
