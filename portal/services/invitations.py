"""Invitations: create, send, resend, revoke, check a link, accept.

A link is ``/invitations/<token>/`` where the token is ``django.core.signing`` over
``{"i": invitation id, "n": random nonce}``. The signature (keyed by ``SECRET_KEY`` with its
own salt) stops tampering; the stored SHA-256 of the nonce makes a resend or revoke kill every
earlier link; ``accepted_at`` makes the link single-use; ``expires_at`` (checked against the
database, not the token) bounds its life. Nothing personal is in the token.

Each service records its audit event (``invitation.sent``, ``resent``, ``revoked``,
``accepted``) last, inside its own transaction: the invitation is the event's target, by id;
the address it was sent to is never part of the event.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.i18n.languages import is_offered
from portal.mail import notify
from portal.models import CaseParticipant, Invitation, PracticeSettings, User
from portal.models.outbox import RecipientRole
from portal.roles import Role, grant_role

TOKEN_SALT = "portal.invitation.v1"  # noqa: S105 - a signing namespace, not a secret


class InvitationProblem(StrEnum):
    """Why a link cannot be used; each has its own plain-words page."""

    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


@dataclass(frozen=True)
class InvitationCheck:
    invitation: Invitation | None
    problem: InvitationProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _nonce_digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _new_token(invitation: Invitation) -> str:
    """Give ``invitation`` a fresh nonce (killing older links) and return the signed token."""
    nonce = secrets.token_urlsafe(24)
    invitation.nonce_sha256 = _nonce_digest(nonce)
    return signing.dumps({"i": str(invitation.id), "n": nonce}, salt=TOKEN_SALT)


def _send(request: HttpRequest | None, invitation: Invitation, token: str) -> None:
    """Queue the email with the link, in the caller's transaction (the link's token is sealed
    in the outbox row until the worker sends it). The email holds no clinical content."""
    path = reverse("invitation_accept", args=[token])
    link = request.build_absolute_uri(path) if request else path
    practice = PracticeSettings.load()
    context = {
        "practice": practice,
        "link": link,
        "expires_at": invitation.expires_at,
    }
    notify(invitation.email, template="portal/email/invitation", context=context,
           role=RecipientRole.INVITED, language=invitation.language or None)


@transaction.atomic
def invitation_send(
    *, email: str, invited_by: User, request: HttpRequest | None = None,
    participant: CaseParticipant | None = None, language: str = "",
) -> Invitation:
    """Invite ``email`` to create a client account, or resend its open invitation.

    Refuses an address that already has an account (the person should sign in or reset
    their password instead), so an invitation can never take over an existing account.
    ``invited_by`` is the staff member acting: the event's actor (``invitation.sent``, or
    ``invitation.resent`` when an open invitation is sent again). The caller checks that they
    may manage invitations. ``participant``: the place waiting for this person in a couple
    or family case (``clients.cases.case_participant_invite``); an address with an open
    invitation elsewhere is refused rather than moved between cases. ``language``: the
    language the client reads (a code of ``settings.LANGUAGES``; "" for the practice's
    default): the email is written in it and the new account starts with it. Resending an
    open invitation with another language changes it.
    """
    if language and not is_offered(language):
        raise ValidationError(_("Please choose a language from the list."), code="language")
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(_("An account with this email address already exists."))
    existing = (
        Invitation.objects.select_for_update()
        .filter(email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if existing is not None:
        if participant is not None or existing.participant_id is not None:
            raise ValidationError(_("This address already has an invitation waiting. "
                                    "Withdraw it first, or use another address."))
        return invitation_resend(invitation=existing, actor=invited_by, request=request,
                                 language=language or None)
    now = timezone.now()
    invitation = Invitation(
        email=email,
        invited_by=invited_by,
        participant=participant,
        language=language,
        created_at=now,
        last_sent_at=now,
        send_count=1,
        expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    token = _new_token(invitation)
    invitation.full_clean()
    invitation.save()
    _send(request, invitation, token)
    record_event(Action.INVITATION_SENT, actor=invited_by, target=invitation)
    return invitation


@transaction.atomic
def invitation_resend(
    *, invitation: Invitation, actor: User, request: HttpRequest | None = None,
    language: str | None = None,
) -> Invitation:
    """Send a fresh link with a fresh expiry; every earlier link for it stops working.
    ``language``, when given, replaces the invitation's language (the new email is in it).

    Records ``invitation.resent`` by ``actor`` (the staff member acting; the caller checks
    that they may manage invitations)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError(_("This invitation was already accepted or revoked."))
    now = timezone.now()
    token = _new_token(invitation)
    invitation.last_sent_at = now
    invitation.send_count += 1
    invitation.expires_at = now + timedelta(days=settings.INVITATION_VALID_DAYS)
    fields = ["nonce_sha256", "last_sent_at", "send_count", "expires_at"]
    if language is not None and is_offered(language) and language != invitation.language:
        invitation.language = language
        fields.append("language")
    invitation.save(update_fields=fields)
    _send(request, invitation, token)
    record_event(Action.INVITATION_RESENT, actor=actor, target=invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    """Revoke an open invitation: its link shows 'this invitation was withdrawn'.

    Records ``invitation.revoked`` by ``actor`` (the caller checks that they may manage
    invitations); revoking an already revoked invitation changes nothing and records nothing.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation was already accepted; it cannot be revoked."))
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record_event(Action.INVITATION_REVOKED, actor=actor, target=invitation)
    return invitation


def invitation_check(token: str) -> InvitationCheck:
    """Validate a link's token against the database, without changing anything.

    Order matters: a tampered token is ``INVALID`` before anything is looked up; a token for
    an accepted invitation says ``USED`` even if it has also expired, because that is the
    more useful thing to tell the person holding it.
    """
    try:
        payload = signing.loads(token, salt=TOKEN_SALT)
        invitation = Invitation.objects.get(pk=payload["i"])
        nonce = str(payload["n"])
    except (signing.BadSignature, Invitation.DoesNotExist, KeyError, TypeError, ValueError,
            ValidationError):
        return InvitationCheck(None, InvitationProblem.INVALID)
    if invitation.accepted_at is not None:
        return InvitationCheck(invitation, InvitationProblem.USED)
    if invitation.revoked_at is not None:
        return InvitationCheck(invitation, InvitationProblem.REVOKED)
    if not secrets.compare_digest(_nonce_digest(nonce), invitation.nonce_sha256):
        # A link from before a resend: treat as superseded, i.e. no longer valid.
        return InvitationCheck(invitation, InvitationProblem.EXPIRED)
    if invitation.expires_at <= timezone.now():
        return InvitationCheck(invitation, InvitationProblem.EXPIRED)
    return InvitationCheck(invitation, None)


def open_invitation(invitation_id: str | None) -> Invitation | None:
    """The still-usable invitation with this id (as remembered in a session), or None."""
    if not invitation_id:
        return None
    invitation = Invitation.objects.filter(
        pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True
    ).first()
    if invitation is None or invitation.expires_at <= timezone.now():
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, invitation_id: str, user: User) -> None:
    """Mark the invitation used by ``user`` (who just signed up with its email).

    Locks the row so two sign-ups racing on one link cannot both accept it: the loser gets
    a ``ValidationError`` and its transaction (including the new account) rolls back.
    The new client is both the actor and the subject of ``invitation.accepted``, recorded
    after the client role is granted so the event names the role they act in. An
    invitation to a couple or family case puts the new account in its place there.

    The new account reads the portal in the invitation's language unless the person
    already chose one while signing up (``user.language`` set by the sign-up: the language
    button, or a browser asking for a language other than the default; see
    ``portal.adapters.signup_language``).
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation_id)
    if not invitation.is_open or invitation.expires_at <= timezone.now():
        raise ValidationError(_("This invitation can no longer be used."))
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(_("This invitation was sent to a different email address."))
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    grant_role(user, Role.CLIENT)
    if not user.language and is_offered(invitation.language):
        user.language = invitation.language
        user.save(update_fields=["language"])
    if invitation.participant_id is not None:
        participant = CaseParticipant.objects.select_for_update().get(
            pk=invitation.participant_id)
        participant.person = user
        participant.save(update_fields=["person"])
    record_event(Action.INVITATION_ACCEPTED, actor=user, subject=user, target=invitation)
