"""Database sessions whose lookup is compiled once per process (``portal.compiled``).

The same store as ``django.contrib.sessions.backends.db`` (one row a session in the
database: any app server continues any session, signing out deletes the row, an expired
row is never read), with the one query every request runs, the session's row, compiled
once instead of built by the ORM on every request. A new session's key is drawn without
first asking whether it is taken (see ``SessionStore._get_new_session_key``).
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.db.models import Field
from django.utils import timezone
from django.utils.crypto import get_random_string

from portal.compiled import CompiledQuery


def _session_field(name: str) -> Field[Any, Any]:
    return cast(Field[Any, Any], db.SessionStore.get_model_class()._meta.get_field(name))


SESSION_DATA = CompiledQuery(
    lambda key, now: db.SessionStore.get_model_class().objects
    .filter(session_key=key, expire_date__gt=now).values_list("session_data"),
    [("text", lambda: _session_field("session_key")),
     ("datetime", lambda: _session_field("expire_date"))],
)


class SessionStore(db.SessionStore):
    """Django's database session store, its row read by ``SESSION_DATA``."""

    def _get_session_from_db(self) -> Any:
        """This session's unexpired row (its key and data), or None (and no key)."""
        rows = SESSION_DATA.rows(self.session_key, timezone.now())
        if not rows:
            self._session_key = None
            return None
        return self.model(session_key=str(self.session_key), session_data=rows[0][0])

    def _get_new_session_key(self) -> str:
        """A fresh random key (32 characters of 36, about 165 bits), not looked up first.

        Django's database store draws a key only in ``create``, which inserts the row with
        ``must_create`` and draws again when the insert finds the key taken; so the lookup
        Django's default makes first (one query on every sign-in, whose session gets a new
        key) cannot change the outcome, and a taken key never reaches another session's row.
        """
        return get_random_string(32, VALID_KEY_CHARS)
