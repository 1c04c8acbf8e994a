"""The rows of the staff client list: where each client stands at a glance.

Listing reads plaintext columns only (the login email, account and workflow states, ids and
timestamps) and decrypts nothing. A page costs the same fixed number of queries whatever it
holds: the page's client ids in list order (one query, plus the paginator's count), those
clients with their flags and invitation (one), their intakes as values (one,
``intake.api.intake_summaries``), and the consent register of those clients (four,
``consents.api.consent_badges_for``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from consents.api import consent_badges_for
from intake.api import IntakeSummary, has_open_safety_alert, intake_summaries
from portal.badges import Badge
from portal.crypto.owners import OWNER_CLIENT
from portal.models import DataKey, Invitation, User


def clients_for_list(clients: QuerySet[User], viewer: User) -> QuerySet[User]:
    """``clients`` (already narrowed to what the viewer may open) in list order: those with
    a safety alert no one has acknowledged first, then by login email. Annotated with what
    the account column needs, and with the accepted invitation joined, all in the one query.
    """
    erased = DataKey.objects.filter(
        owner_kind=OWNER_CLIENT, owner_id=OuterRef("pk"), destroyed_at__isnull=False
    )
    verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
    return (
        clients.annotate(
            needs_prompt_review=has_open_safety_alert(OuterRef("pk"), viewer),
            is_erased=Exists(erased),
            email_verified=Exists(verified),
        )
        .select_related("invitation")
        .order_by("-needs_prompt_review", "email")
    )


def clients_in_order(clients: QuerySet[User], viewer: User,
                     ids: list[uuid.UUID]) -> list[User]:
    """The clients ``ids`` (one page of ``clients_for_list(...).values_list("pk")``), in that
    order, annotated and joined as the list shows them: the second of a page's two
    queries. A page is found by sorting narrow rows (ids, the flag, the email) and loaded
    by id, so the database never sorts thousands of wide joined rows to keep fifty (issue
    21, "Scale"). ``clients`` is what the viewer may open: an id outside it is not loaded."""
    loaded = clients_for_list(clients.filter(pk__in=ids), viewer).in_bulk(ids)
    return [loaded[pk] for pk in ids if pk in loaded]


@dataclass(frozen=True)
class ClientRow:
    client: User
    account: Badge
    invitation: Invitation | None  # the invitation the account was made from, if any
    intake: IntakeSummary
    consents: list[Badge]


def _account(client: Any) -> Badge:
    if client.is_erased:
        return Badge(pgettext("account", "Erased"), "secondary")
    if not client.is_active:
        return Badge(pgettext("account", "Closed"), "secondary")
    if not client.email_verified:
        return Badge(gettext("Email not verified"), "warning")
    return Badge(pgettext("account", "Active"), "success")


def client_rows(clients: Iterable[User], viewer: User) -> list[ClientRow]:
    """The rows of one page of ``clients_for_list``: a fixed number of queries (the intakes,
    and the consent register of exactly these clients), however many rows."""
    clients = list(clients)
    ids = [client.pk for client in clients]
    intakes = intake_summaries(ids, viewer)
    consents = consent_badges_for(ids)
    return [
        ClientRow(
            client=client,
            account=_account(client),
            invitation=getattr(client, "invitation", None),
            intake=intakes[client.pk],
            consents=consents.get(client.pk, []),
        )
        for client in clients
    ]


def open_invitation_count() -> int:
    """Invitations still waiting for someone to create their account (not yet clients)."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).count()
