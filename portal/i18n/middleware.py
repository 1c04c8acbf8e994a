"""A signed-in person's saved language wins over the cookie and the browser's wishes."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from portal.i18n.languages import adopted_language, is_offered, remember_language


class PersonLanguageMiddleware:
    """After Django's ``LocaleMiddleware`` has picked a language from the cookie or the
    browser, a signed-in person's own choice (``User.language``) replaces it, so the portal
    speaks their language on any device. Must run after ``AuthenticationMiddleware``.

    On the way out, a response to a request that proved who someone is (the password
    step of signing in, ``adopt_account_language``) sets the language cookie to their
    language, so the steps still to come before they are signed in (the authenticator
    code) are in it too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if is_offered(chosen) and chosen != translation.get_language():
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        adopted = adopted_language(request)
        if adopted and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != adopted:
            remember_language(response, adopted)
        return response
