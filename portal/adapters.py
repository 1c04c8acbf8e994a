"""allauth adapter: who may sign up, and what happens to a new account."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import render

from portal.models import PracticeSettings, User
from portal.roles import Role, grant_role
from portal.services.invitations import invitation_accept, open_invitation

SESSION_INVITATION_KEY = "portal_invitation_id"


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
                "Please use the email address your invitation was sent to."
            )
        return email

    def save_user(
        self, request: HttpRequest, user: User, form: Any, commit: bool = True
    ) -> User:
        """Create the account and, in the same transaction, redeem the invitation (or, for
        self-signup, just make the account a client)."""
        invitation_id = request.session.get(SESSION_INVITATION_KEY)
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
