"""Does the configured keyring open this database's data keys? Checked at start-up.

A server started with the wrong master keys (another environment's, a typo, a key retired
too early) would run, then fail on the first client whose record it tries to read, and any
data key it created meanwhile would sit beside keys it cannot open. So the WSGI entry point
and ``manage.py check_keyring`` first unwrap one live data key for every master key id the
database uses; any that does not open stops the start with a message naming the key id
(never key material).

Unwrapping one key per master key id proves the id's key material is the right one: AES-GCM
authenticates, so a wrong key of the same id fails rather than returning garbage.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

from portal.crypto.datakeys import check_opens
from portal.crypto.errors import DecryptionError
from portal.crypto.keystore import DataKey
from portal.crypto.providers import get_key_provider


def keyring_problems() -> list[str]:
    """One sentence per master key id used by this database's live data keys that the
    configured keyring cannot open (missing from it, or holding other key material).
    Empty when every one opens, or when the database has no data keys yet."""
    provider = get_key_provider()
    problems = []
    used = (DataKey.objects.filter(wrapped_key__isnull=False)
            .values_list("master_key_id", flat=True).distinct())
    for key_id in sorted(set(used)):
        if key_id not in provider.key_ids():
            problems.append(
                f"Data keys in this database are wrapped by master key '{key_id}', which "
                "PORTAL_MASTER_KEYS does not hold."
            )
            continue
        sample = DataKey.objects.filter(master_key_id=key_id,
                                        wrapped_key__isnull=False).first()
        if sample is None:  # destroyed between the two queries
            continue
        try:
            check_opens(sample)
        except DecryptionError:
            problems.append(
                f"Master key '{key_id}' in PORTAL_MASTER_KEYS is not the key that wrapped "
                "this database's data keys (it does not open them): wrong key material."
            )
    return problems


def require_working_keyring() -> None:
    """Refuse to start (``ImproperlyConfigured``, naming each problem) when the keyring
    cannot open the database's data keys. A database that cannot be reached is left to the
    health check and the 503 page: the keyring is checked once it can be."""
    try:
        problems = keyring_problems()
    except DatabaseError:
        return
    if problems:
        raise ImproperlyConfigured(
            "The keyring does not match this database; refusing to start. "
            + " ".join(problems)
            + " See docs/key-management.md."
        )
