"""Security middleware: input the server cannot read, idle timeout, MFA for staff, privacy
headers."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.input_checks import (
    REPEATED_MESSAGE,
    UNREADABLE_MESSAGE,
    RepeatedValue,
    SingleValueQueryDict,
    unreadable_input,
)
from portal.practice import practice_for
from portal.roles import is_staff_member


class InputChecksMiddleware:
    """Refuse, with 400 and nothing stored, a request whose text cannot be read (bytes
    that are not valid UTF-8, encoded surrogates) rather than let Django turn them into
    U+FFFD; and a POST where one value of a field sent several times is read
    (``RepeatedValue``). See ``portal.input_checks``.

    Sits before the session and CSRF middleware, so it sees the raw body before anything
    parses it. A request that prefers JSON (the intake autosave's ``fetch``) is answered in
    JSON, ``{"message": ..., "refused": true}``, for the page to show; any other gets the
    400 page with the reason. Neither repeats what was sent.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if unreadable_input(request):
            return refusal(request, UNREADABLE_MESSAGE)
        if request.method == "POST":
            request.POST = SingleValueQueryDict.of(request.POST)  # type: ignore[assignment]
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RepeatedValue):
            return refusal(request, REPEATED_MESSAGE)
        return None


def refusal(request: HttpRequest, message: str) -> HttpResponse:
    """400 saying ``message`` (an English original marked for translation, as
    ``portal.input_checks`` holds them): JSON to a script that asked for it, else the calm
    400 page (rendered without a request context, like Django's own, so it cannot fail
    here).

    In the request's language: ``LocaleMiddleware`` runs before ``InputChecksMiddleware``
    (the cookie's or the browser's), and a signed-in person's own is chosen before a view
    reads a repeated value."""
    with translation.override(getattr(request, "LANGUAGE_CODE", None)
                              or translation.get_language()):
        words = gettext(message)
        if request.get_preferred_type(["text/html", "application/json"]) == "application/json":
            return JsonResponse({"message": words, "refused": True}, status=400)
        return HttpResponseBadRequest(loader.render_to_string("400.html", {"reason": words}))


LAST_ACTIVITY_KEY = "portal_last_activity"
# Writing the session on every request costs a database write; a few seconds of slack in
# the idle clock is harmless.
ACTIVITY_WRITE_INTERVAL_SECONDS = 10
# Asking how long is left must not itself count as activity.
PASSIVE_URL_NAMES = frozenset({"session_status", "healthz"})


def idle_seconds_left(request: HttpRequest, now: float | None = None) -> int:
    """Seconds until this session is signed out for inactivity (0 if already due)."""
    now = time.time() if now is None else now
    timeout = practice_for(request).idle_timeout_minutes * 60
    last = request.session.get(LAST_ACTIVITY_KEY, now)
    return max(0, int(timeout - (now - last)))


@cache
def _passive_paths() -> frozenset[str]:
    """The paths of ``PASSIVE_URL_NAMES``, resolved once per process (URLs are static)."""
    return frozenset(reverse(name) for name in PASSIVE_URL_NAMES)


class IdleTimeoutMiddleware:
    """Sign a person out, server-side, after the practice's idle timeout.

    Runs before ``LoginRequiredMiddleware`` so the expired request is then sent to the
    sign-in page like any anonymous one. ``logout`` flushes the session row, so the old
    cookie is worthless even if someone copied it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            if idle_seconds_left(request, now) <= 0:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after a period of inactivity, to keep your "
                      "information private. Anything you saved is still here."),
                )
            elif not self._is_passive(request):
                last = request.session.get(LAST_ACTIVITY_KEY)
                if last is None or now - last >= ACTIVITY_WRITE_INTERVAL_SECONDS:
                    request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _is_passive(request: HttpRequest) -> bool:
        return request.path in _passive_paths()


# URL names a staff member may use before finishing MFA: enrolment and authentication
# themselves, signing out, and infrastructure endpoints.
MFA_EXEMPT_URL_NAMES = frozenset(
    {
        "account_login",
        "account_logout",
        "account_reauthenticate",
        "account_confirm_email",
        "account_email_verification_sent",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
        "account_inactive",
        "healthz",
        "session_status",
        "session_keepalive",
    }
)


def used_mfa_this_session(request: HttpRequest) -> bool:
    """True when allauth recorded an MFA authentication (login or re-authentication) in
    this session. A password alone never counts."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


class StaffMFARequiredMiddleware:
    """Clinicians, practice admins and superusers reach no page until they have enrolled
    MFA and used it in this session.

    Without an authenticator they are sent to set one up; with one but a password-only
    session (for example right after enrolling) they are asked for a code.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not is_staff_member(request.user):
            return None
        match = request.resolver_match
        url_name = match.url_name if match else None
        if url_name and (url_name in MFA_EXEMPT_URL_NAMES or url_name.startswith("mfa_")):
            return None
        query = urlencode({"next": request.get_full_path()})
        if not is_mfa_enabled(request.user):
            messages.info(
                request,
                _("Staff accounts must use two-factor authentication. Set up an "
                  "authenticator app to continue."),
            )
            return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        if not used_mfa_this_session(request):
            return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
        return None


class PrivacyHeadersMiddleware:
    """Headers Django does not set itself: Permissions-Policy on everything, and no caching
    of any page shown to a signed-in person (browser back/forward cache, shared computers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            add_never_cache_headers(response)
            patch_vary_headers(response, ["Cookie"])
        return response
