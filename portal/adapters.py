"""allauth adapter: who may sign up, what happens to a new account, how allauth's mail
leaves (through ``portal.mail``) and how its failed-sign-in limit is read (through
``portal.rate_limits``)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from portal.audit.auth_events import record_login_rate_limited
from portal.i18n.languages import adopt_account_language, is_offered
from portal.mail import notify
from portal.models import PracticeSettings, User
from portal.rate_limits import spent_allowances
from portal.roles import Role, grant_role
from portal.services.invitations import invitation_accept, open_invitation

SESSION_INVITATION_KEY = "portal_invitation_id"

# allauth's failed-sign-in limit (portal.rate_limits.ACCOUNT_RATE_LIMITS["login_failed"])
# and the error code its adapter raises when the limit refuses an attempt.
_LOGIN_FAILED_LIMIT = "login_failed"
_TOO_MANY_ATTEMPTS = "too_many_login_attempts"

# The "confirm another way" choices on the re-authentication pages, in the portal's words.
_REAUTHENTICATION_WORDS = {
    "reauthenticate": _("Use my password"),
    "reauthenticate_by_code": _("Email me a code"),
    "mfa_reauthenticate": _("Use my authenticator app or a recovery code"),
    "mfa_reauthenticate:webauthn": _("Use my security key"),
}


def signup_language(request: HttpRequest) -> str:
    """The language a new account starts with, as the person showed it while signing up:
    the one they chose with the language button (the language cookie; the invitation link
    sets it to the invitation's language when the browser has none), else the language the
    sign-up page was shown in when it is not the practice's default (their browser asked
    for it). "" when they showed none: an invited client then gets the invitation's
    language (``invitation_accept``), anyone else the practice's default."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if is_offered(chosen):
        return chosen
    active = translation.get_language() or ""
    if is_offered(active) and active != settings.LANGUAGE_CODE:
        return active
    return ""


def invited_email(request: HttpRequest | None) -> str | None:
    """The email of the open invitation this browser session is redeeming, if any."""
    if request is None or not hasattr(request, "session"):
        return None
    invitation = open_invitation(request.session.get(SESSION_INVITATION_KEY))
    return invitation.email if invitation else None


class PortalAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Sign-up is open to holders of a valid invitation, or to anyone if the practice
        turned self-signup on (it is off by default)."""
        if invited_email(request):
            return True
        return PracticeSettings.load().self_signup_enabled

    def clean_email(self, email: str) -> str:
        """While redeeming an invitation, only its address may be used: the invitation is
        what proves the address, so another address would skip verification."""
        email = super().clean_email(email)
        expected = invited_email(getattr(self, "request", None))
        if expected and email.lower() != expected.lower():
            raise ValidationError(
                _("Please use the email address your invitation was sent to.")
            )
        return email

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Refuse a password attempt while the failed-attempts limit holds, exactly as
        allauth does, and record every refusal as ``auth.login_rate_limited``.

        Without this, password guessing stops being visible in the audit trail at the very
        moment the limit starts working: refused attempts never reach ``authenticate`` and
        so send no ``user_login_failed`` signal. The refusal is re-raised unchanged, so the
        person sees allauth's message. This runs for sign-in and for re-authenticating
        with a password alike (allauth's ``reauthenticate`` goes through here too).
        """
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as refusal:
            if refusal.code == _TOO_MANY_ATTEMPTS:
                # Which allowances ran out: ``ip`` (attempts from one network address),
                # ``key`` (attempts at one sign-in address, hashed by allauth).
                key = self._get_login_attempts_cache_key(request, **credentials)
                record_login_rate_limited(
                    request, credentials,
                    limits=spent_allowances(request, _LOGIN_FAILED_LIMIT, key=key),
                )
            raise

    def pre_login(self, request: HttpRequest, user: AbstractBaseUser,
                  **kwargs: Any) -> HttpResponse | None:
        """allauth's check before a sign-in goes on (an inactive account is refused), then
        the account's language for the rest of the way (``adopt_account_language``).

        allauth calls this once the password was accepted (or an emailed link followed),
        before the steps still due (the authenticator code, confirming the address): so the
        code page is already in the person's language, though they are not signed in yet
        and ``PersonLanguageMiddleware`` cannot know them. A wrong password never gets here,
        so it reveals nothing of the account."""
        refused = super().pre_login(request, user, **kwargs)
        if refused is None:
            adopt_account_language(request, user)
        return refused

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's account mail (codes, password resets, address confirmations, security
        notices) goes on the queue through ``portal.mail.notify`` like every other email,
        so a mail server that is down never turns a password reset into an error page.

        The worker renders allauth's templates from the context allauth gives them, minus
        the request (it cannot cross the queue; links in the context are already absolute)
        and with the site as plain text. allauth's subject prefix is off
        (``ACCOUNT_EMAIL_SUBJECT_PREFIX = ""``), so the subject is the template's.

        allauth writes only in answer to the person's own request (a code, a reset, a
        confirmation), so an address with no language of its own (no account yet, or an
        account that never chose) gets the email in the language of the page they used."""
        request = allauth_context.request
        site = get_current_site(request)
        queued = {key: value for key, value in context.items()
                  if not isinstance(value, HttpRequest)}
        notify(email, template=template_prefix,
               context={"email": email, **queued,
                        "current_site": {"name": site.name, "domain": site.domain}},
               language=translation.get_language())

    def get_reauthentication_methods(self, user: Any) -> list[dict[str, Any]]:
        """allauth's ways to confirm it's you, unchanged but for their labels (which the
        re-authentication pages show as buttons)."""
        methods = super().get_reauthentication_methods(user)
        for method in methods:
            method["description"] = _REAUTHENTICATION_WORDS.get(method["id"],
                                                                method["description"])
        return methods

    def save_user(
        self, request: HttpRequest, user: User, form: Any, commit: bool = True
    ) -> User:
        """Create the account and, in the same transaction, redeem the invitation (or, for
        self-signup, just make the account a client). The account reads the portal in the
        language of ``signup_language``, else the invitation's."""
        invitation_id = request.session.get(SESSION_INVITATION_KEY)
        user.language = signup_language(request)
        try:
            with transaction.atomic():
                user = super().save_user(request, user, form, commit=commit)
                if invitation_id:
                    invitation_accept(invitation_id=invitation_id, user=user)
                else:
                    grant_role(user, Role.CLIENT)
        except ValidationError:
            request.session.pop(SESSION_INVITATION_KEY, None)
            raise ImmediateHttpResponse(
                render(
                    request,
                    "portal/invitation_problem.html",
                    {"problem": "used"},
                    status=410,
                )
            ) from None
        request.session.pop(SESSION_INVITATION_KEY, None)
        return user


def user_display(user: User) -> str:
    """How allauth names a person in messages and emails: a staff display name, else the
    login email (only ever shown to that person). Never the internal id."""
    return user.display_name or user.email
