"""Audit storage: the append-only event table, the one-row head of the chain, and the
alerts recording raises when it finds the trail tampered with.

These live in the ``portal`` app (imported by ``portal.models``) so migrations stay with the
platform. Events carry ids, never names: the actor and the subject client are UUIDs without
foreign keys, so erasing or deleting an account never rewrites history.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Reads only: bulk updates and deletes are refused before they reach the database
    (on PostgreSQL a trigger refuses them too, for anyone bypassing the ORM)."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit events cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events cannot be deleted.")

    update.queryset_only = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class AuditEvent(models.Model):
    """One thing that happened, chained to the event before it by ``mac``.

    Write only through ``portal.audit.service.record_event``.
    """

    seq = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    actor_id = models.UUIDField(null=True, blank=True)
    actor_role = models.CharField(max_length=32)
    action = models.CharField(max_length=64)
    subject_id = models.UUIDField(null=True, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=32, blank=True)
    # Text, not inet/jsonb: the chain's MAC covers these exact strings on every database
    # (the address is normalised by ``ipaddress`` and the detail is canonical JSON when
    # recorded), so verification reads them back without parsing.
    ip_address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)
    detail_json = models.TextField(default="{}")
    prev_mac = models.BinaryField(max_length=32)
    mac = models.BinaryField(max_length=32)

    objects: ClassVar[models.Manager[AuditEvent]] = AuditEventQuerySet.as_manager()

    class Meta:
        app_label = "portal"
        ordering = ("seq",)
        indexes = [
            models.Index(fields=["subject_id", "seq"], name="audit_subject_seq"),
            models.Index(fields=["actor_id", "seq"], name="audit_actor_seq"),
            models.Index(fields=["action", "seq"], name="audit_action_seq"),
            models.Index(fields=["occurred_at"], name="audit_occurred_at"),
        ]

    def __str__(self) -> str:
        return f"audit event #{self.seq} {self.action}"

    def __repr__(self) -> str:
        return f"<AuditEvent #{self.seq} {self.action}>"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events cannot be deleted.")

    @property
    def detail(self) -> dict[str, Any]:
        """The detail payload (counts, flags, key ids, field names: never personal data)."""
        return json.loads(self.detail_json)


class AuditChainHead(models.Model):
    """The chain's tip: the last sequence number handed out and its MAC.

    Appending locks this one row (``UPDATE ... SET last_seq = last_seq + 1``), so concurrent
    writers queue up and no two events share a number or a predecessor. It also lets
    ``verify_audit_log`` notice events cut from the end of the table.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_mac = models.BinaryField(max_length=32)

    class Meta:
        app_label = "portal"

    def __str__(self) -> str:
        return f"audit chain head at #{self.last_seq}"


class AuditAlert(models.Model):
    """Something recording found wrong with the trail, for practice admins to see.

    Raised in the transaction of the action that found it, which goes ahead: a row the
    portal did not write must never stop people signing in. Shown as a banner on the staff
    home and audit trail pages until an operator has looked into it and acknowledged it
    (``verify_audit_log --acknowledge-alerts``). The alert is a signal, not the proof: the
    chain itself keeps the evidence (``verify_audit_log`` keeps reporting the stray event).
    """

    class Kind(models.TextChoices):
        # Events numbered past the chain head: inserted behind the application's back.
        EVENTS_PAST_HEAD = "events_past_head", _("Events past the chain head")
        # The head row was gone while events existed, and was rebuilt from the last event.
        HEAD_REBUILT = "head_rebuilt", _("Chain head rebuilt")

    raised_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # The sequence numbers concerned: the stray events (first, last, how many), or for a
    # rebuilt head the event it was rebuilt from (first = last, rows 0).
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField()
    rows = models.PositiveIntegerField(default=0)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "portal"
        ordering = ("raised_at", "id")

    def __str__(self) -> str:
        return f"audit alert {self.kind} at #{self.first_seq}"
