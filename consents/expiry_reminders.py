"""Reminders that a signature ends soon: the client is emailed
``PracticeSettings.consent_expiry_reminder_days`` days before the last day of a signature
that has one (``ConsentSignature.expires_on``; today, authorizations to release
information), once per signature (``expiry_reminded_at``), with a link to sign again.

Who is reminded: the signature is still in force (not withdrawn, its last day today or
later: one that ended before the job ran, say while it was turned off, is past reminding),
the account is an active client, and the client has not already signed the same document
again since, for at least as long (a later signature, not withdrawn, ending later or never).
Optional documents are reminded too: an authorization is optional, and the client who chose
to give one is the person who wants to hear that it ends.

Each reminder is its own transaction: the signature is stamped with a conditional update
(``expiry_reminded_at`` still empty), the email queued (``notify``) and ``consent.reminded``
(detail kind "expiry", target the signature) recorded together, so two runs at once, or a
crash, never send twice. The email names no document, recipient or purpose: only that an
agreement ends on a date, and where to sign again.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from consents.models import ConsentSignature, ConsentVersion, VersionStatus
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.mail import notify
from portal.models import PracticeSettings, User
from portal.models.outbox import RecipientRole
from portal.roles import Role

EXPIRY_TEMPLATE = "consents/email/expiry_reminder"
EXPIRY_KIND = "expiry"
BATCH_SIZE = 50
# The plaintext columns the job reads; nothing encrypted is loaded.
_FIELDS = ("id", "client_id", "version_id", "signed_at", "withdrawn_at", "expires_on",
           "expiry_reminded_at")


def _renewed(signatures: QuerySet[ConsentSignature]) -> Exists:
    """A later signature by the same client of the same document, not withdrawn, ending
    later than the outer one or never."""
    return Exists(signatures.filter(
        client_id=OuterRef("client_id"),
        version__document_id=OuterRef("version__document_id"),
        signed_at__gt=OuterRef("signed_at"),
        withdrawn_at__isnull=True,
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gt=OuterRef("expires_on"))))


def expiring_signatures(today: date, days_before: int) -> QuerySet[ConsentSignature]:
    """Signatures to remind about today, in id order (only plaintext columns loaded)."""
    return (
        ConsentSignature.objects
        .filter(expires_on__gte=today, expires_on__lte=today + timedelta(days=days_before),
                withdrawn_at__isnull=True, expiry_reminded_at__isnull=True,
                client__is_active=True, client__groups__name=Role.CLIENT.value)
        .exclude(_renewed(ConsentSignature.objects.all()))
        .only(*_FIELDS)
        .order_by("pk")
    )


def _sign_again_link(version_id: uuid.UUID) -> str:
    """The signing page of the document's current version (the consents list if none is
    published any more): ids only in the address."""
    version = ConsentVersion.objects.filter(pk=version_id).only("document_id").first()
    current = (ConsentVersion.objects.filter(document_id=version.document_id,
                                             status=VersionStatus.PUBLISHED)
               .order_by("-number").only("id").first() if version else None)
    path = (reverse("consent_sign", args=[current.id]) if current
            else reverse("consent_list"))
    return settings.PORTAL_BASE_URL + path


def _remind(signature: ConsentSignature, practice: PracticeSettings, now: datetime) -> bool:
    """Email the client about one signature, once; whether this run sent it."""
    with transaction.atomic():
        stamped = ConsentSignature.objects.filter(
            pk=signature.pk, expiry_reminded_at__isnull=True, withdrawn_at__isnull=True,
        ).update(expiry_reminded_at=now)
        if not stamped:
            return False
        client = User.objects.get(pk=signature.client_id)
        notify(client, template=EXPIRY_TEMPLATE, role=RecipientRole.CLIENT, about=client,
               context={"practice": practice, "ends_on": signature.expires_on,
                        "link": _sign_again_link(signature.version_id)})
        record_event(Action.CONSENT_REMINDED, actor=None, subject=client.pk,
                     target=signature, detail={"kind": EXPIRY_KIND})
    return True


def send_expiry_reminders(*, now: datetime | None = None) -> int:
    """Remind every client whose signature ends within the practice's
    ``consent_expiry_reminder_days`` (see the module), each signature once; how many
    reminders were sent."""
    now = now or timezone.now()
    practice = PracticeSettings.load()
    today = timezone.localdate(now)
    sent = 0
    after: uuid.UUID | None = None
    while True:
        page = expiring_signatures(today, practice.consent_expiry_reminder_days)
        if after is not None:
            page = page.filter(pk__gt=after)
        batch = list(page[:BATCH_SIZE])
        if not batch:
            return sent
        sent += sum(_remind(signature, practice, now) for signature in batch)
        after = batch[-1].pk
