"""The portal's languages and a person's own choice among them.

A person's choice lives on their account (``User.language``) once they have signed in, and
in the language cookie before that. Pages, emails and PDFs for that person are written in it;
an empty choice means the practice's default, ``settings.LANGUAGE_CODE``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation

# Where ``adopt_account_language`` leaves, on the request, the language for
# ``PersonLanguageMiddleware`` to remember in the cookie of the response.
_ADOPTED_ATTRIBUTE = "portal_adopted_language"


def offered_languages() -> list[tuple[str, str]]:
    """Every language a person may choose, as (code, name in that language)."""
    return [(code, str(name)) for code, name in settings.LANGUAGES]


def is_offered(code: str | None) -> bool:
    """Whether ``code`` names a language the portal speaks."""
    return bool(code) and any(code == offered for offered, _ in settings.LANGUAGES)


def language_of(person: object | None) -> str:
    """The language ``person`` reads: their saved choice, else the practice's default."""
    chosen = getattr(person, "language", "") or ""
    return chosen if is_offered(chosen) else settings.LANGUAGE_CODE


def current_language() -> str:
    """The language of the page or email being written now."""
    return translation.get_language() or settings.LANGUAGE_CODE


def remember_language(response: HttpResponseBase, code: str) -> None:
    """Set the language cookie on ``response``, so this browser reads the portal in ``code``
    (the cookie settings of ``settings.LANGUAGE_COOKIE_*``)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code,
        max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]  # "Lax"
    )


def adopt_account_language(request: HttpRequest, person: object) -> None:
    """``person`` has just proven who they are (their password was accepted), though a
    second step may still stand between them and being signed in (their authenticator code,
    confirming their address): from now on this browser reads the portal in their saved
    language, as it will once they are signed in, and as it stays after they sign out.

    Activates it for the rest of this request and leaves it on the request, for
    ``PersonLanguageMiddleware`` to set the language cookie on the response
    (``remember_language``). An account that never chose changes nothing (it reads the
    practice's default, and the browser keeps its own choice).

    Call it only once a proof was accepted: before that, an account's language is not the
    visitor's to know (a wrong password leaves the page in the browser's language and sets
    no cookie)."""
    chosen = getattr(person, "language", "") or ""
    if not is_offered(chosen):
        return
    translation.activate(chosen)
    request.LANGUAGE_CODE = chosen
    setattr(request, _ADOPTED_ATTRIBUTE, chosen)


def adopted_language(request: HttpRequest) -> str:
    """The language ``adopt_account_language`` chose during this request, else ""."""
    return str(getattr(request, _ADOPTED_ATTRIBUTE, ""))
