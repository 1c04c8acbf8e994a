"""The platform's tables (app label ``portal``), split by subject.

Importing this package registers every model of the app with Django: the accounts, the
practice's settings, invitations, client details and care team, and cases here; the key
tables beside the crypto code (``portal.crypto.keystore``) and the audit trail beside its
code (``portal.audit``).
"""

from __future__ import annotations

from portal.audit.models import AuditAlert, AuditChainHead, AuditEvent
from portal.crypto.keystore import DataKey, DataKeyOwnerKind, KeyRotationRun
from portal.models.accounts import User, UserManager
from portal.models.background import ScheduledJob
from portal.models.cases import (
    Case,
    CaseCareAssignment,
    CaseKind,
    CaseParticipant,
    Guardianship,
    ParticipantRole,
    SecretsPolicy,
)
from portal.models.clients import CareAssignment, ClientNameToken, ClientProfile
from portal.models.invitations import Invitation, InvitationStatus
from portal.models.outbox import MessageStatus, OutgoingMessage, RecipientRole
from portal.models.practice import DEFAULT_CRISIS_TEXT, PracticeSettings

__all__ = [
    "DEFAULT_CRISIS_TEXT",
    "AuditAlert",
    "AuditChainHead",
    "AuditEvent",
    "CareAssignment",
    "Case",
    "CaseCareAssignment",
    "CaseKind",
    "CaseParticipant",
    "ClientNameToken",
    "ClientProfile",
    "DataKey",
    "DataKeyOwnerKind",
    "Guardianship",
    "Invitation",
    "InvitationStatus",
    "KeyRotationRun",
    "MessageStatus",
    "OutgoingMessage",
    "ParticipantRole",
    "PracticeSettings",
    "RecipientRole",
    "ScheduledJob",
    "SecretsPolicy",
    "User",
    "UserManager",
]
