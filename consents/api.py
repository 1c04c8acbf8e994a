"""What other apps may ask of the consents: the one module of this app they import.

The client pages (``clients``) show what a client still owes on the client list, the record
and the client's home page. They ask here, never the consents' models or views; the
import-linter contract "Feature apps are independent" (``.importlinter``) names this module
as the declared seam. Nothing here decrypts: the register reads plaintext workflow columns.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext, ngettext

from consents.register import (
    COUNTERSIGN,
    EXPIRED,
    OUTSTANDING,
    RESIGN,
    WAITING,
    WITHDRAWN,
    RegisterEntry,
    build_register,
)
from consents.selectors import ConsentStatus, outstanding
from portal.badges import Badge

__all__ = [
    "ConsentStatus",
    "RegisterEntry",
    "consent_badges",
    "consent_badges_for",
    "outstanding",
    "register_for_client",
]


def consent_badges(entries: Iterable[RegisterEntry] | None) -> list[Badge]:
    """What a client still owes on the required documents, in words; ``None`` (a closed
    account, which the register leaves out) gives no badge. Optional documents never count.
    """
    if entries is None:
        return []
    required = [entry for entry in entries if entry.required and entry.current is not None]
    if not required:
        return [Badge(gettext("Nothing to sign yet"), "light")]
    to_sign = sum(entry.state == OUTSTANDING for entry in required if entry.needs_reminder)
    again = sum(entry.state == RESIGN for entry in required if entry.needs_reminder)
    expired = sum(entry.state == EXPIRED for entry in required if entry.needs_reminder)
    other: dict[str, int] = defaultdict(int)  # any further state the register chases
    for entry in required:
        if entry.needs_reminder and entry.state not in (OUTSTANDING, RESIGN, EXPIRED):
            other[entry.state_label.lower()] += 1
    withdrawn = sum(entry.state == WITHDRAWN for entry in required)
    # Signed by some but not yet all who must sign (a second guardian, a clinician's
    # countersignature): not the client's to chase, and not signed either.
    waiting = sum(entry.state in (WAITING, COUNTERSIGN) for entry in required)
    badges = []
    if to_sign:
        badges.append(Badge(ngettext("%(count)s required to sign", "%(count)s required to sign",
                                     to_sign) % {"count": to_sign}, "warning"))
    if again:
        badges.append(Badge(ngettext("%(count)s must sign again", "%(count)s must sign again",
                                     again) % {"count": again}, "warning"))
    if expired:
        badges.append(Badge(ngettext("%(count)s expired", "%(count)s expired", expired)
                            % {"count": expired}, "warning"))
    badges.extend(
        # Translators: a number of documents, then the state they are in (in lower case).
        Badge(gettext("%(count)s %(state)s") % {"count": count, "state": label}, "warning")
        for label, count in other.items()
    )
    if waiting:
        badges.append(Badge(ngettext("%(count)s waiting for another signature",
                                     "%(count)s waiting for another signature", waiting)
                            % {"count": waiting}, "secondary"))
    if withdrawn:
        badges.append(Badge(ngettext("%(count)s withdrawn", "%(count)s withdrawn", withdrawn)
                            % {"count": withdrawn}, "danger"))
    return badges or [Badge(gettext("All required signed"), "success")]


def consent_badges_for(client_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Badge]]:
    """``consent_badges`` of each client, from the register of exactly these clients (a
    fixed number of queries however many)."""
    if not client_ids:
        return {}
    register = build_register(client_ids=client_ids)
    return {
        client_id: consent_badges(register.for_client(client_id)
                                  if client_id in register.emails else None)
        for client_id in client_ids
    }


def register_for_client(client_id: uuid.UUID) -> list[RegisterEntry]:
    """Where one client stands with each document (empty for a closed account)."""
    register = build_register(client_ids=[client_id])
    return register.for_client(client_id) if client_id in register.emails else []
