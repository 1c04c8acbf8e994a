"""Client lifecycle services: erasure by crypto-shredding."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from portal.crypto.blind_index import BlindIndexField
from portal.crypto.datakeys import client_owner
from portal.crypto.models import encrypted_models
from portal.crypto.rotation import erase_owner_keys
from portal.models import User
from portal.roles import Role, roles_of


@dataclass(frozen=True)
class ErasureResult:
    keys_destroyed: int
    sessions_ended: int


def _end_sessions(user: User) -> int:
    """Delete every live session of ``user`` (database sessions hold the user id)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended


def _clear_blind_indexes(user: User) -> None:
    """Blind indexes are derived from the erased values: they go too."""
    for model in encrypted_models():
        owner_field = model.encryption_owner_field
        indexes = [f.name for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
        if owner_field and indexes:
            model.objects.filter(**{f"{owner_field}_id": user.pk}).update(
                **dict.fromkeys(indexes)
            )


@transaction.atomic
def client_erase(*, user: User) -> ErasureResult:
    """Crypto-shred a client: destroy their data keys, so every encrypted value of theirs
    (profile, intake, consent details) is unreadable here and in backups; deactivate the
    account, end its sessions and remove its second factors.

    Only clients can be erased this way: staff accounts hold no client data of their own.
    The login email and ids stay, plaintext, as the record that an account existed and was
    erased (see docs/key-management.md for retention). Recording the audit event belongs
    here too, once the audit trail exists (issue 4).
    """
    if roles_of(user) != {Role.CLIENT}:
        raise ValueError("Only client accounts can be erased.")
    destroyed = erase_owner_keys(client_owner(user.pk))
    _clear_blind_indexes(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    Authenticator.objects.filter(user=user).delete()
    return ErasureResult(keys_destroyed=destroyed, sessions_ended=_end_sessions(user))
