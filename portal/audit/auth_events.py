"""Authentication events: the one place the audit trail listens to signals.

Everything the portal itself does is recorded by the service that does it, inside that
service's transaction (see ``portal.audit.service``). Signing in, signing out, failed
attempts, password changes and resets, email verification and second factors are different:
allauth and ``django.contrib.auth`` own those flows, from the form to the database write, and
their signals are the only seam they offer. So these receivers, and only these, record from
signals, and they are all connected here, by ``connect()`` from ``PortalConfig.ready()``.
One authentication event has no signal: a sign-in refused by the failed-attempts rate limit
is raised inside allauth's adapter, so ``PortalAccountAdapter.pre_authenticate`` calls
``record_login_rate_limited`` below, keeping the conventions here in one module.

What that costs, honestly: allauth does not run its flows in one transaction with ours.
Several of its signals are sent after its write has committed (``authenticator_added`` and
``authenticator_reset`` are sent from ``transaction.on_commit``; password changes and logins
run in autocommit). The event is then written in its own transaction right after the action,
and a crash between the two could lose it. A failure to record raises, so the person sees an
error rather than the action passing silently unrecorded.

Nothing personal goes into these events: an attempted email address is used only to look up
whether an account exists, and the account is then named by its id.
"""

from __future__ import annotations

import re
from typing import Any

from allauth.account import signals as account_signals
from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.models import EmailAddress
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth import signals as auth_signals
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import User
from portal.roles import Role, roles_of

USER_TARGET = "portal.user"
_METHOD_TOKEN = re.compile(r"^[a-z_]{1,32}$")


def _subject(user: User) -> User | None:
    """A client's own security events belong to their record; staff accounts have none."""
    return user if Role.CLIENT in roles_of(user) else None


def _signed_in_user(request: HttpRequest | None) -> User | None:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _login_methods(request: HttpRequest | None, user: User) -> list[str]:
    """The steps of this sign-in, in order, as allauth noted them in the session
    (``password``, then the kind of second factor, e.g. ``totp``). Empty when unknown,
    e.g. for ``force_login`` or the Django admin's own login form."""
    if request is None or not hasattr(request, "session"):
        return []
    methods: list[str] = []
    for record in get_authentication_records(request, user):
        method = record.get("method")
        if method == "mfa":
            method = record.get("type")
        if isinstance(method, str) and _METHOD_TOKEN.match(method) and method not in methods:
            methods.append(method)
    return methods


def _account_for(credentials: dict[str, Any]) -> User | None:
    """The account an attempted sign-in named, matched case-insensitively, or None.

    The attempted address itself is never stored: it may be a typo of someone else's
    address, or someone's address typed by a stranger.
    """
    attempted = credentials.get("email") or credentials.get("username")
    if not isinstance(attempted, str) or not attempted.strip():
        return None
    attempted = attempted.strip()
    user = User.objects.filter(email__iexact=attempted).first()
    if user is None:
        address = (
            EmailAddress.objects.filter(email__iexact=attempted).select_related("user").first()
        )
        user = address.user if address is not None else None
    return user


def on_user_logged_in(sender: object, *, request: HttpRequest | None, user: User,
                      **kwargs: Any) -> None:
    """``auth.login``: a session now belongs to ``user``."""
    methods = _login_methods(request, user)
    record_event(
        Action.AUTH_LOGIN,
        actor=user,
        subject=_subject(user),
        detail={"method": methods} if methods else None,
    )


def on_user_logged_out(sender: object, *, request: HttpRequest | None, user: User | None,
                       **kwargs: Any) -> None:
    """``auth.logout``; a logout without a signed-in user changes nothing and is skipped."""
    if user is None or not user.is_authenticated:
        return
    record_event(Action.AUTH_LOGOUT, actor=user, subject=_subject(user))


def _record_attempt(action: Action, request: HttpRequest | None,
                    credentials: dict[str, Any], detail: dict[str, Any] | None = None) -> None:
    """A password attempt that did not sign anyone in. The actor is anonymous (anyone can
    type an address), unless a signed-in session is re-authenticating. The account named,
    if it exists, is the target (and the subject when it is a client's): never the address
    that was typed."""
    account = _account_for(credentials)
    record_event(
        action,
        actor=_signed_in_user(request) or AnonymousUser(),
        subject=_subject(account) if account is not None else None,
        target=(USER_TARGET, account.pk) if account is not None else None,
        detail={"account_exists": account is not None, **(detail or {})},
    )


def on_user_login_failed(sender: object, *, credentials: dict[str, Any],
                         request: HttpRequest | None = None, **kwargs: Any) -> None:
    """``auth.login_failed``: wrong password, unknown address or inactive account.

    The actor is anonymous (anyone can type an address), unless a signed-in session got its
    own password wrong while re-authenticating. The account named, if it exists, is the
    target (and the subject when it is a client's): never the address that was typed.
    """
    _record_attempt(Action.AUTH_LOGIN_FAILED, request, credentials)


def record_login_rate_limited(request: HttpRequest | None, credentials: dict[str, Any], *,
                              limits: list[str]) -> None:
    """``auth.login_rate_limited``: a password attempt refused before it was checked,
    because too many attempts failed recently (allauth's ``login_failed`` limit).

    Same conventions as ``auth.login_failed``: the actor is anonymous unless a signed-in
    session is re-authenticating; the account named, if it exists, is the target (and the
    subject when it is a client's), never the address that was typed. ``limits`` says which
    allowances were used up (``ip``: attempts from this network address; ``key``: attempts
    at this sign-in address). One event per refused attempt: the view's own ``login`` limit
    (per IP address) bounds how many an attacker can cause, as it does for failed ones.
    """
    _record_attempt(Action.AUTH_LOGIN_RATE_LIMITED, request, credentials,
                    {"limits": limits})


def on_password_changed(sender: object, *, request: HttpRequest | None, user: User,
                        **kwargs: Any) -> None:
    """``auth.password_changed`` for a change of an existing password."""
    record_event(Action.AUTH_PASSWORD_CHANGED, actor=user, subject=_subject(user),
                 detail={"first_password": False})


def on_password_set(sender: object, *, request: HttpRequest | None, user: User,
                    **kwargs: Any) -> None:
    """``auth.password_changed`` for an account that had no usable password before."""
    record_event(Action.AUTH_PASSWORD_CHANGED, actor=user, subject=_subject(user),
                 detail={"first_password": True})


def on_password_reset(sender: object, *, request: HttpRequest | None, user: User,
                      **kwargs: Any) -> None:
    """``auth.password_reset``: the holder of the emailed link chose a new password."""
    record_event(Action.AUTH_PASSWORD_RESET, actor=user, subject=_subject(user))


def on_email_confirmed(sender: object, *, request: HttpRequest | None,
                       email_address: EmailAddress, **kwargs: Any) -> None:
    """``auth.email_verified``: the account is found through the address object; the actor
    is whoever is signed in (an admin confirming in the Django admin), else the owner."""
    user = email_address.user
    actor = _signed_in_user(request) or user
    record_event(Action.AUTH_EMAIL_VERIFIED, actor=actor, subject=_subject(user),
                 target=(USER_TARGET, user.pk))


def on_authenticator_added(sender: object, *, request: HttpRequest | None, user: User,
                           authenticator: Authenticator, **kwargs: Any) -> None:
    """``auth.mfa_enabled``, once per authenticator (TOTP brings recovery codes with it)."""
    record_event(Action.AUTH_MFA_ENABLED, actor=user, subject=_subject(user),
                 target=authenticator, detail={"kind": authenticator.type})


def on_authenticator_removed(sender: object, *, request: HttpRequest | None, user: User,
                             authenticator: Authenticator, **kwargs: Any) -> None:
    """``auth.mfa_removed``, once per authenticator removed (already deleted, so it has no
    id left to name: the kind says what went)."""
    record_event(Action.AUTH_MFA_REMOVED, actor=user, subject=_subject(user),
                 detail={"kind": authenticator.type})


def on_authenticator_reset(sender: object, *, request: HttpRequest | None, user: User,
                           authenticator: Authenticator, **kwargs: Any) -> None:
    """``auth.mfa_reset``: recovery codes regenerated (the old ones stop working)."""
    record_event(Action.AUTH_MFA_RESET, actor=user, subject=_subject(user),
                 target=authenticator, detail={"kind": authenticator.type})


def on_mfa_failed(sender: object, *, request: HttpRequest | None, user: User,
                  authenticator: Authenticator, reauthentication: bool = False,
                  **kwargs: Any) -> None:
    """``auth.mfa_failed``: a wrong second-factor code.

    At sign-in the person has given the right password but is not signed in yet, so the
    actor is anonymous and the account is the target; when re-authenticating, the signed-in
    user is the actor.
    """
    actor = _signed_in_user(request) if reauthentication else None
    record_event(
        Action.AUTH_MFA_FAILED,
        actor=actor or AnonymousUser(),
        subject=_subject(user),
        target=(USER_TARGET, user.pk),
        detail={"kind": authenticator.type, "reauthentication": bool(reauthentication)},
    )


_RECEIVERS = (
    (auth_signals.user_logged_in, on_user_logged_in),
    (auth_signals.user_logged_out, on_user_logged_out),
    (auth_signals.user_login_failed, on_user_login_failed),
    (account_signals.password_changed, on_password_changed),
    (account_signals.password_set, on_password_set),
    (account_signals.password_reset, on_password_reset),
    (account_signals.email_confirmed, on_email_confirmed),
    (mfa_signals.authenticator_added, on_authenticator_added),
    (mfa_signals.authenticator_removed, on_authenticator_removed),
    (mfa_signals.authenticator_reset, on_authenticator_reset),
    (mfa_signals.authentication_failed, on_mfa_failed),
)


def connect() -> None:
    """Connect every receiver above, once (the ``dispatch_uid`` makes repeats harmless)."""
    for signal, receiver in _RECEIVERS:
        signal.connect(receiver, dispatch_uid=f"portal.audit.{receiver.__name__}", weak=False)
