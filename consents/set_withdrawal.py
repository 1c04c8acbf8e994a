"""Withdrawing a consent several people signed (``SignerSet``): any one required signer's
withdrawal withdraws it for all, and the others are told.

Apart from ``consents.signer_sets`` because ``consents.services.consent_withdraw`` calls
it, and the signing side builds on ``consents.services``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from consents.models import SignerSet
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.mail import notify
from portal.models import PracticeSettings, User
from portal.models.outbox import RecipientRole

CO_SIGNER_WITHDREW_TEMPLATE = "consents/email/co_signer_withdrew"


class NotASigner(ValueError):
    """Someone who is not a required signer of the set tried to withdraw it."""


@transaction.atomic
def signer_set_withdraw(*, signer_set_id: Any, by: User) -> SignerSet:
    """Withdraw a consent several people signed, because ``by`` (one of its required
    signers) withdrew their signature: it stops counting at once, complete or not. The
    other required signers are each emailed that something changed (no document, no
    name, no child: ``consents/email/co_signer_withdrew``), in the caller's transaction.
    Audited as ``consent.set_withdrawn`` (subject: the person it was for). A set already
    withdrawn changes nothing and emails no one again."""
    signer_set = SignerSet.objects.select_for_update().get(pk=signer_set_id)
    if signer_set.withdrawn_at is not None:
        return signer_set
    required = list(signer_set.required_signers.select_related("signer"))
    if by.pk not in {r.signer_id for r in required}:
        raise NotASigner("Only a signer of this consent can withdraw it.")
    signer_set.withdrawn_at = timezone.now()
    signer_set.withdrawn_by = by
    signer_set.save(update_fields=["withdrawn_at", "withdrawn_by"])
    practice = PracticeSettings.load()
    # A clinician's place not yet countersigned has no one to tell.
    others = [r.signer for r in required
              if r.signer is not None and r.signer_id != by.pk and r.signer.is_active]
    for other in others:
        notify(other, template=CO_SIGNER_WITHDREW_TEMPLATE, context={"practice": practice},
               role=RecipientRole.CLIENT, about=other)
    record_event(Action.CONSENT_SET_WITHDRAWN, actor=by, subject=signer_set.on_behalf_of_id,
                 target=signer_set, detail={"told": len(others)})
    return signer_set
