"""Who each consent document is for, and who signs it.

Most documents are for every client, who signs them themself. Couples and families add
three rules (issue 17):

- The secrets policy (``secrets_no_secrets`` / ``secrets_limited_secrets``) is for the
  adults (roles partner and adult) of a couple or family case, and only the document of
  the case's effective policy (``Case.secrets_policy``, blank: the practice's). Decision:
  a signature of it is the person's agreement to that policy, not to one case: the text
  names neither the case nor the others in it, so one signature holds for every case
  of theirs with that policy; a case with the other policy needs the other document.
- The assent (``adolescent_assent``) is for adolescents (their own account), who sign it
  themself.
- A minor (role adolescent or child) does not consent alone: the documents every client
  signs are signed for them by their guardians (``consents.signer_sets``), every
  guardian the practice requires. Decision: not the consent to electronic records, the
  contact preferences or an authorization to release information, which are about the
  signer's own mail and records (a child has no mailbox; a release needs its details
  form, which has no multi-signer version yet).

Plain values only: nothing here decrypts. ``audiences`` answers for many people in two
queries, so the register stays a fixed number of queries.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from consents.models import DocumentKind
from portal.models import (
    Case,
    CaseParticipant,
    ParticipantRole,
    PracticeSettings,
    SecretsPolicy,
    User,
)
from portal.models.cases import ADULT_ROLES, MINOR_ROLES

SECRETS_DOCUMENTS: dict[str, str] = {
    SecretsPolicy.NO_SECRETS: DocumentKind.SECRETS_NO_SECRETS,
    SecretsPolicy.LIMITED_SECRETS: DocumentKind.SECRETS_LIMITED_SECRETS,
}
# Documents that apply only through a case (never to a client in individual therapy).
CASE_KINDS = frozenset({*SECRETS_DOCUMENTS.values(), DocumentKind.ADOLESCENT_ASSENT})
# About the signer's own mail and records: a guardian signs these for themself only.
NOT_SIGNED_FOR_A_MINOR = frozenset({DocumentKind.ELECTRONIC_SIGNATURES,
                                    DocumentKind.COMMUNICATION,
                                    DocumentKind.RELEASE_AUTHORIZATION})


def effective_policy(case_policy: str, practice_policy: str | None = None) -> str:
    """A case's secrets policy: its own, or (blank) the practice's."""
    if case_policy:
        return case_policy
    return practice_policy or PracticeSettings.load().secrets_policy


def secrets_document_for(case: Case) -> str:
    """The kind of the secrets-policy document the adults of ``case`` sign."""
    return SECRETS_DOCUMENTS[effective_policy(case.secrets_policy)]


@dataclass(frozen=True)
class Audience:
    """Which documents apply to one person and who signs them.

    ``case_kinds``: each case-only document kind that applies, with the cases it is needed
    in. ``minor``: a minor of some case, whose general documents their guardians sign."""

    case_kinds: dict[str, frozenset[uuid.UUID]] = field(default_factory=dict)
    minor: bool = False

    def applies(self, kind: str) -> bool:
        """Whether the document of ``kind`` is for this person at all."""
        if kind in CASE_KINDS:
            return kind in self.case_kinds
        return not (self.minor and kind in NOT_SIGNED_FOR_A_MINOR)

    def signed_by_guardians(self, kind: str) -> bool:
        """Whether the person's guardians sign the document for them (they cannot give
        that consent themself: a signature of their own does not count for it)."""
        return self.minor and kind not in CASE_KINDS and self.applies(kind)

    def needed_in(self, kind: str, case: Case | None) -> bool:
        """Whether the document must be signed for this person's intake in ``case``
        (None: their individual intake, which needs no case-only document)."""
        if kind not in CASE_KINDS:
            return self.applies(kind)
        return case is not None and case.pk in self.case_kinds.get(kind, frozenset())


INDIVIDUAL = Audience()


def audiences(people: QuerySet[User, Any] | Iterable[uuid.UUID]) -> dict[uuid.UUID, Audience]:
    """The audience of each person (someone in no case gets ``INDIVIDUAL``; ``people`` a
    query of accounts or their ids), from their case places: one query, plus the
    practice's settings."""
    places: dict[uuid.UUID, list[tuple[uuid.UUID, str, str]]] = defaultdict(list)
    chosen = people if isinstance(people, QuerySet) else list(people)
    rows = CaseParticipant.objects.filter(person__in=chosen).values_list(
        "person_id", "case_id", "role", "case__secrets_policy")
    for person_id, case_id, role, case_policy in rows:
        places[person_id].append((case_id, role, case_policy))
    practice_policy = PracticeSettings.load().secrets_policy if places else ""
    found: dict[uuid.UUID, Audience] = {}
    for person_id, theirs in places.items():
        kinds: dict[str, set[uuid.UUID]] = defaultdict(set)
        minor = False
        for case_id, role, case_policy in theirs:
            if role in ADULT_ROLES:
                policy = effective_policy(case_policy, practice_policy)
                kinds[SECRETS_DOCUMENTS[policy]].add(case_id)
            if role == ParticipantRole.ADOLESCENT:
                kinds[DocumentKind.ADOLESCENT_ASSENT].add(case_id)
            minor = minor or role in MINOR_ROLES
        found[person_id] = Audience({kind: frozenset(cases) for kind, cases in kinds.items()},
                                    minor)
    return found


def audience_of(person: User) -> Audience:
    """``audiences`` for one person."""
    return audiences([person.pk]).get(person.pk, INDIVIDUAL)
