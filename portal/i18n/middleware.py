"""A signed-in person's saved language wins over the cookie and the browser's wishes."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from portal.i18n.languages import is_offered


class PersonLanguageMiddleware:
    """After Django's ``LocaleMiddleware`` has picked a language from the cookie or the
    browser, a signed-in person's own choice (``User.language``) replaces it, so the portal
    speaks their language on any device. Must run after ``AuthenticationMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if is_offered(chosen) and chosen != translation.get_language():
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)
