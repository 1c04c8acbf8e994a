"""Cases: the people a practice sees together (a couple, a family), who is in each, who
cares for a child, and which clinicians work with the case.

Platform tables, like the client's details and care team (``portal.models.clients``):
access (who may open which record, which partner may see which shared answers) and
signing (who signs for a child) are decided from them. The pages about them live in
``clients/``.

An *individual* record is not a row here: it is a client's own record, as it always was
(their intake with no case, their care team in ``CareAssignment``). A person may be in an
individual record and a couple case at once; each keeps its own intake, as practices keep
separate records.

Nothing here holds what a person told us except the guardian's stated relationship and
authority, encrypted under the child's data key (``Guardianship``). A case has a random
reference for staff, never a family name.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.crypto.fields import EncryptedCharField
from portal.crypto.models import EncryptedModel

# Letters and digits a person reads back without confusing them (no 0/O, 1/I/L).
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_case_reference() -> str:
    """A short random reference staff can read aloud ("K7QM-3XTP"): no name, no count."""
    letters = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


class CaseKind(models.TextChoices):
    COUPLE = "couple", _("Couple")
    FAMILY = "family", _("Family")


class SecretsPolicy(models.TextChoices):
    """What the clinician does with something one person says alone (a consent document
    each adult of a couple or family case signs before their intake)."""

    NO_SECRETS = "no_secrets", _("No secrets")
    LIMITED_SECRETS = "limited_secrets", _("Limited secrets")


class Case(models.Model):
    """People seen together. Plaintext by design: the kind, a random reference, the
    secrets policy chosen for it and times; who is in it is ``CaseParticipant``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=CaseKind.choices)
    reference = models.CharField(max_length=9, unique=True, default=new_case_reference,
                                 editable=False)
    # Blank: the practice's policy (``PracticeSettings.secrets_policy``).
    secrets_policy = models.CharField(max_length=16, choices=SecretsPolicy.choices,
                                      blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        """"Couple case K7QM-3XTP", a whole phrase in the reader's language."""
        if self.kind == CaseKind.COUPLE:
            return gettext("Couple case %(reference)s") % {"reference": self.reference}
        return gettext("Family case %(reference)s") % {"reference": self.reference}

    def __repr__(self) -> str:
        return f"<Case {self.id} {self.kind}>"


class ParticipantRole(models.TextChoices):
    PARTNER = "partner", _("Partner")
    ADULT = "adult", _("Adult")
    ADOLESCENT = "adolescent", _("Adolescent")
    CHILD = "child", _("Child")


# The roles with a login of their own; a child is a record without one.
ROLES_WITH_ACCOUNT = (ParticipantRole.PARTNER, ParticipantRole.ADULT,
                      ParticipantRole.ADOLESCENT)
ADULT_ROLES = (ParticipantRole.PARTNER, ParticipantRole.ADULT)
MINOR_ROLES = (ParticipantRole.ADOLESCENT, ParticipantRole.CHILD)


class CaseParticipant(models.Model):
    """One person in a case, and their part in it.

    ``person`` is their client account: their own login (partners, adults, adolescents), or
    for a child without one a record that cannot sign in (``clients.cases.child_add``). It
    stays empty while the person's invitation waits (``Invitation.participant``) and is
    filled when they accept it. A person is in a case once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.CASCADE, related_name="case_participations")
    role = models.CharField(max_length=16, choices=ParticipantRole.choices)
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("added_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["case", "person"],
                                    condition=models.Q(person__isnull=False),
                                    name="case_participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} in case {self.case_id}"

    def __repr__(self) -> str:
        return f"<CaseParticipant {self.id} {self.role}>"

    @property
    def is_adult(self) -> bool:
        return self.role in ADULT_ROLES

    @property
    def is_minor(self) -> bool:
        return self.role in MINOR_ROLES


class Guardianship(EncryptedModel):
    """A guardian of a minor in a family case: their relationship to the child and their
    legal authority to consent for them, as the guardian stated it, and whether the
    practice requires this guardian's signature (both parents under joint custody).

    What the guardian states is about the child, so it is sealed under the *child's* data
    key: erasing the child shreds it. ``attested_at``: when the guardian confirmed, in the
    portal, that what is stated is true and that they may consent for the child; until
    then they cannot sign for the child. Written by ``clients.cases``.
    """

    encryption_owner_field = "child"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="guardianships")
    guardian = models.ForeignKey(CaseParticipant, on_delete=models.CASCADE,
                                 related_name="guardian_of")
    minor = models.ForeignKey(CaseParticipant, on_delete=models.CASCADE,
                              related_name="guardians")
    child = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
        help_text="The minor's record: whose data key protects what is stated.",
    )
    relationship = EncryptedCharField(max_length=100)
    legal_authority = EncryptedCharField(max_length=200)
    signs_for_child = models.BooleanField(
        default=True, help_text="The practice requires this guardian's signature.",
    )
    attested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["guardian", "minor"], name="guardianship_once"),
        ]

    def __str__(self) -> str:
        return f"guardianship {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<Guardianship {self.id}>"

    def clean(self) -> None:
        """A guardian is an adult of the same case; the minor is a minor of it, and the key
        owner is the minor's record."""
        if self.guardian.case_id != self.case_id or self.minor.case_id != self.case_id:
            raise ValidationError(_("A guardian and the child belong to the same case."))
        if not self.guardian.is_adult or not self.minor.is_minor:
            raise ValidationError(_("A guardian is an adult and the child a minor of the case."))
        if self.minor.person_id is None or self.child_id != self.minor.person_id:
            raise ValidationError(_("The child's record must exist before a guardian is added."))


class CaseCareAssignment(models.Model):
    """A clinician on a case's care team: they may open the case and its participants'
    case records (their case intakes), not each person's individual record, which has its
    own care team (``CareAssignment``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="care_team")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="case_caseload_links")
    assigned_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "clinician"],
                                    name="case_care_assignment_once"),
        ]

    def __str__(self) -> str:
        return f"case care assignment {self.id.hex[:8]}"
