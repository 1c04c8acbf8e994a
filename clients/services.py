"""Client lifecycle services: the care team, and erasure by crypto-shredding.

Each service records its audit event inside its own transaction: an assignment or an erasure
that rolls back leaves no event, and one that commits always has its event.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.crypto.blind_index import BlindIndexField
from portal.crypto.models import encrypted_models
from portal.crypto.owners import client_owner
from portal.crypto.rotation import erase_owner_keys
from portal.mail import forget_messages_about
from portal.models import CareAssignment, ClientNameToken, DataKey, User
from portal.roles import Role, roles_of

USER_TARGET = "portal.user"


class ErasureError(RuntimeError):
    """The client's keys changed while they were being erased; nothing was erased."""


@dataclass(frozen=True)
class ErasureResult:
    keys_destroyed: int
    sessions_ended: int
    messages_removed: int = 0  # outbox rows to or about the client, sent or not


def _end_sessions(user: User) -> int:
    """Delete every live session of ``user`` (database sessions hold the user id)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended


def _clear_blind_indexes(user: User) -> None:
    """Blind indexes are derived from the erased values: they go too (the legal name's
    word index, ``ClientNameToken``, with them)."""
    ClientNameToken.objects.filter(profile__user=user).delete()
    for model in encrypted_models():
        owner_field = model.encryption_owner_field
        indexes = [f.name for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
        if owner_field and indexes:
            model.objects.filter(**{f"{owner_field}_id": user.pk}).update(
                **dict.fromkeys(indexes)
            )


@transaction.atomic
def client_erase(*, user: User, actor: User | None) -> ErasureResult:
    """Crypto-shred a client: destroy their data keys, so every encrypted value of theirs
    (profile, intake, consent details) is unreadable here and in backups; deactivate the
    account, end its sessions and remove its second factors. Every email to or about them
    still in the outbox is removed and its waiting delivery taken out of the queue
    (``forget_messages_about``): nothing is sent to or about an erased client.

    Only clients can be erased this way: staff accounts hold no client data of their own.
    The login email and ids stay, plaintext, as the record that an account existed and was
    erased (see docs/key-management.md for retention). ``actor`` is the person erasing, or
    ``None`` for the system (the ``erase_client`` command); the caller checks they may.

    The ``client.erased`` event (subject: the client; detail: how many keys go) is recorded
    *before* any key is destroyed, in the same transaction: if it cannot be recorded, no key
    is destroyed, and if the erasure fails afterwards the event rolls back with it. The keys
    are locked while counted, and a count that no longer matches at destruction (a key made
    concurrently) aborts the whole erasure rather than record a wrong number.
    """
    if roles_of(user) != {Role.CLIENT}:
        raise ValueError("Only client accounts can be erased.")
    owner = client_owner(user.pk)
    live_keys = list(
        DataKey.objects.select_for_update()
        .filter(owner_kind=owner[0], owner_id=owner[1], destroyed_at__isnull=True)
        .values_list("pk", flat=True)
    )
    record_event(Action.CLIENT_ERASED, actor=actor, subject=user,
                 detail={"keys_destroyed": len(live_keys)})
    destroyed = erase_owner_keys(owner)
    if destroyed != len(live_keys):
        raise ErasureError("The client's keys changed during erasure; nothing was erased.")
    _clear_blind_indexes(user)
    messages_removed = forget_messages_about(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    Authenticator.objects.filter(user=user).delete()
    return ErasureResult(keys_destroyed=destroyed, sessions_ended=_end_sessions(user),
                         messages_removed=messages_removed)


def _check_care_pair(client: User, clinician: User) -> None:
    if Role.CLIENT not in roles_of(client):
        raise ValidationError(gettext("Only a client can have a care team."))
    if Role.CLINICIAN not in roles_of(clinician):
        raise ValidationError(gettext("Only a clinician can join a client's care team."))


@transaction.atomic
def client_assign(*, client: User, clinician: User, actor: User | None) -> CareAssignment:
    """Put ``clinician`` on ``client``'s care team: from now on they may open the client's
    record (see ``portal.access``). Idempotent: assigning an assigned clinician returns the
    existing assignment and records nothing.

    Records ``client.assigned`` (subject: the client; target: the clinician, by id) by
    ``actor``, or by the system when ``None`` (demo data, commands). The caller checks that
    ``actor`` may manage care teams.
    """
    _check_care_pair(client, clinician)
    assignment, created = CareAssignment.objects.get_or_create(client=client, clinician=clinician)
    if created:
        record_event(Action.CLIENT_ASSIGNED, actor=actor, subject=client,
                     target=(USER_TARGET, clinician.pk))
    return assignment


@transaction.atomic
def client_unassign(*, client: User, clinician: User, actor: User | None) -> bool:
    """Take ``clinician`` off ``client``'s care team: they can no longer open the record.
    Returns whether they were on it; only a removal that happened records
    ``client.unassigned`` (subject: the client; target: the clinician). The caller checks
    that ``actor`` may manage care teams.
    """
    deleted, _ = CareAssignment.objects.filter(client=client, clinician=clinician).delete()
    if deleted:
        record_event(Action.CLIENT_UNASSIGNED, actor=actor, subject=client,
                     target=(USER_TARGET, clinician.pk))
    return bool(deleted)
