"""Consent documents, their versions, and clients' signatures.

A published version never changes (the model refuses, and on PostgreSQL a trigger refuses
too) and carries the SHA-256 of its canonical text, so a signature can always show exactly
what was agreed to. What identifies the signer beyond their account (the typed name, a
representative's name and authority, IP address, user agent, a withdrawal reason) is
encrypted under the client's data key; the version, its hash, the statement agreed to and
the times stay plaintext as evidence.

A consent several people sign (a child's guardians, both partners of a couple, a client and
a clinician countersigning) is a ``SignerSet``: each signature in it is still its signer's
own row (``client`` is the signer, whose key seals its evidence), and the set says whether
the consent counts. Sets hold ids, roles and times only.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.crypto.fields import EncryptedCharField, EncryptedTextField
from portal.crypto.models import EncryptedModel
from portal.i18n.languages import current_language

# A language's name inside a sentence of the page ("not yet available in Spanish"), in the
# reader's language ("en español"); ``settings.LANGUAGES`` names each in its own language,
# for a column or a list ("Español").
LANGUAGE_NAMES_IN_SENTENCE = {
    "en": pgettext_lazy("a language, inside a sentence", "English"),
    "es": pgettext_lazy("a language, inside a sentence", "Spanish"),
}


def language_in_sentence(code: str) -> str:
    """The name of the language ``code`` as it reads inside a sentence of the page."""
    named = LANGUAGE_NAMES_IN_SENTENCE.get(code)
    return str(named) if named is not None else str(dict(settings.LANGUAGES).get(code, code))


def active_language_code() -> str:
    """The base code of the language of the page ("es-mx" reads "es")."""
    return current_language().lower().split("-")[0]


class DocumentKind(models.TextChoices):
    ELECTRONIC_SIGNATURES = "electronic_signatures", _("Electronic records and signatures")
    TREATMENT = "treatment", _("Informed consent to treatment")
    PRIVACY_NOTICE = "privacy_notice", _("Notice of privacy practices")
    TELEHEALTH = "telehealth", _("Telehealth")
    COMMUNICATION = "communication", _("Communication")
    FEES = "fees", _("Fees and cancellation")
    RELEASE_AUTHORIZATION = "release_authorization", _("Authorization to release information")
    # Couples and families (``consents.audience`` says who each applies to).
    SECRETS_NO_SECRETS = "secrets_no_secrets", _("No-secrets policy for couples and families")
    SECRETS_LIMITED_SECRETS = ("secrets_limited_secrets",
                               _("Limited-secrets policy for couples and families"))
    ADOLESCENT_ASSENT = "adolescent_assent", _("Assent to counselling for young people")


class Requirement(models.TextChoices):
    BEFORE_INTAKE = "before_intake", _("Required before the intake")
    BEFORE_FIRST_SESSION = "before_first_session", _("Required before the first session")
    OPTIONAL = "optional", _("Optional")


class ConsentDocument(models.Model):
    """One kind of document the practice asks clients to agree to, and when it is needed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, choices=DocumentKind.choices, unique=True)
    title = models.CharField(max_length=200)
    requirement = models.CharField(max_length=32, choices=Requirement.choices,
                                   default=Requirement.OPTIONAL)
    position = models.PositiveSmallIntegerField(default=0)
    # A clinician of the client's care team countersigns each signature; it counts only
    # then (``consents.countersign``).
    countersign_required = models.BooleanField(
        default=False, help_text=_("A clinician on the care team countersigns each signature."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("position", "title")

    def __str__(self) -> str:
        return self.title


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class PublishedVersionError(Exception):
    """A published consent version was about to change."""


# The recipes of a version's canonical text (``consents.services.canonical_text``): 1, the
# first (kind, the document's title, number, effective date, summary, text); 2, the same
# with the version's own title and its language. A version keeps the recipe it was hashed
# with, so a version published before languages existed still recomputes its SHA-256.
CANONICAL_FORM_FIRST = 1
CANONICAL_FORM_WITH_LANGUAGE = 2
CURRENT_CANONICAL_FORM = CANONICAL_FORM_WITH_LANGUAGE


class ConsentVersion(models.Model):
    """One wording of a document, in one language. Editable while a draft; frozen,
    numbered and hashed when published (``consents.services.version_publish``).

    A document's text in another language is its own version: an admin drafts and
    publishes it after review, and a client signs the version in the language they read
    (``consents.services.current_version``). What is signed is the exact text in that
    language: the language (``language``, a code of ``settings.LANGUAGES``) and the title
    as read (``title``) are inside the hash (canonical form 2). Versions published before
    languages existed are English, hashed with form 1 (``canonical_form``), and still
    verify exactly as before.

    Decision: versions are numbered per document across languages (English 1, 2, then a
    Spanish 3 beside them), not per language. A number then names one text wherever it
    appears alone: an audit event's detail, the register's CSV, the FHIR canonical URL
    ``<kind>|<number>`` and a conversation with the practice; the unique constraint
    (document, number) stays as it was, and every number already given keeps its
    meaning. Within a language, a higher number is still a later version, which is all
    re-consent needs (``consents.register.consent_state`` compares versions of one
    language only). The pages always show the language beside the number.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT,
                                 related_name="versions")
    number = models.PositiveIntegerField(null=True, blank=True)
    # The language of the text (a code of ``settings.LANGUAGES``); rows from before
    # languages existed are English. Checked by the form and by ``version_publish``, not
    # by choices, so offering a new language needs no migration.
    language = models.CharField(max_length=8, default="en")
    # The title as the client reads it, in the version's language; blank (versions from
    # before languages existed, or a draft not yet published): the document's title.
    title = models.CharField(max_length=200, blank=True)
    summary = models.TextField(max_length=2000)
    body = models.TextField(max_length=100_000, help_text=_("Markdown."))
    effective_date = models.DateField(default=timezone.localdate)
    change_note = models.TextField(max_length=2000, blank=True)
    material_change = models.BooleanField(
        default=False, help_text=_("Clients who signed an earlier version must sign again.")
    )
    status = models.CharField(max_length=16, choices=VersionStatus.choices,
                              default=VersionStatus.DRAFT)
    sha256 = models.CharField(max_length=64, blank=True)
    # Which recipe ``sha256`` was taken with (``CANONICAL_FORM_*`` above).
    canonical_form = models.PositiveSmallIntegerField(default=CURRENT_CANONICAL_FORM)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "number"],
                                    name="consent_version_number_once"),
            models.CheckConstraint(
                condition=models.Q(status="draft")
                | (models.Q(number__isnull=False, published_at__isnull=False)
                   & ~models.Q(sha256="")),
                name="consent_version_published_is_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document.title} v{self.number or 'draft'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Refuse any change to a version that is published in the database (publishing
        itself writes a draft row, so it passes)."""
        if not self._state.adding and ConsentVersion.objects.filter(
            pk=self.pk, status=VersionStatus.PUBLISHED
        ).exists():
            raise PublishedVersionError("A published consent version never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.status == VersionStatus.PUBLISHED:
            raise PublishedVersionError("A published consent version is never deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED

    @property
    def display_title(self) -> str:
        """The title as the client reads it: the version's own, else the document's."""
        return self.title or self.document.title

    @property
    def language_name(self) -> str:
        """The name of the version's language, in that language ("Español")."""
        return str(dict(settings.LANGUAGES).get(self.language, self.language))

    @property
    def language_in_sentence(self) -> str:
        """The name of the version's language inside a sentence of the page."""
        return language_in_sentence(self.language)

    @property
    def not_in_reader_language(self) -> bool:
        """The version is in another language than the page's: offered because none is
        published in the reader's yet (``consents.services.current_version``)."""
        return self.language != active_language_code()

    @property
    def reader_language_in_sentence(self) -> str:
        """The name of the page's language inside a sentence of the page."""
        return language_in_sentence(active_language_code())


def _verification_reference() -> str:
    return secrets.token_hex(8).upper()


class ConsentSignature(EncryptedModel):
    """A client's agreement to one published version, and its withdrawal if any."""

    encryption_owner_field = "client"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="consent_signatures")
    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT,
                                related_name="signatures")
    sha256 = models.CharField(max_length=64, help_text=_("The version's hash when signed."))
    statement = models.TextField(help_text=_("The statement the client ticked, word for word."))
    signed_at = models.DateTimeField(default=timezone.now)
    reference = models.CharField(max_length=16, unique=True, default=_verification_reference)
    typed_name = EncryptedCharField(max_length=200)
    representative_name = EncryptedCharField(max_length=200, null=True, blank=True)
    representative_authority = EncryptedCharField(max_length=200, null=True, blank=True)
    ip_address = EncryptedCharField(max_length=45, null=True, blank=True)
    user_agent = EncryptedTextField(max_length=256, null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = EncryptedTextField(max_length=1000, null=True, blank=True)
    expires_on = models.DateField(
        null=True, blank=True,
        help_text=_("The last day the agreement holds (authorizations); none: until withdrawn."),
    )
    # When the client was emailed that this signature is about to end
    # (``consents.expiry_reminders``): once per signature.
    expiry_reminded_at = models.DateTimeField(null=True, blank=True)
    # One signature of several a consent needs (``SignerSet``): it counts only with the
    # others, never on its own as the signer's personal agreement. ``client`` is still
    # the signer, whose key seals the evidence above.
    signer_set = models.ForeignKey("SignerSet", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="signatures")
    # The child a guardian signed for (their set's ``on_behalf_of``); None: the signer's
    # own agreement.
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            # Signing for someone else is only ever one signature of a set.
            models.CheckConstraint(
                condition=models.Q(on_behalf_of__isnull=True)
                | models.Q(signer_set__isnull=False),
                name="consent_signature_for_another_is_in_a_set",
            ),
        ]

    def __str__(self) -> str:
        return f"signature {self.reference}"

    def __repr__(self) -> str:
        return f"<ConsentSignature {self.id}>"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    def is_expired(self, today: date | None = None) -> bool:
        """Past its last day (practice-local date); a signature without one never expires."""
        return self.expires_on is not None and self.expires_on < (today or timezone.localdate())


class ReleaseAuthorization(EncryptedModel):
    """What a signed authorization to release information allows: which information, who
    may disclose it, to whom, why, and until when (HIPAA 45 CFR 164.508(c); 42 CFR 2.31 when
    it includes substance use disorder records). Belongs to exactly one signature, which
    carries the signer's typed name, the time and the version (with its hash); the last day
    is the signature's ``expires_on``, so the register can tell expiry without decrypting.

    Everything the client wrote is encrypted under their data key. The required statements
    they were shown are kept word for word, in plaintext, as evidence.
    """

    encryption_owner_field = "client"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="release_authorizations")
    signature = models.OneToOneField(ConsentSignature, on_delete=models.CASCADE,
                                     related_name="authorization")
    submission = models.UUIDField(
        help_text=_("The form's one-time id: submitting the same form twice signs once."),
    )
    information = EncryptedTextField(max_length=2000)
    includes_substance_use = models.BooleanField(default=False)
    substance_use_information = EncryptedTextField(max_length=2000, null=True, blank=True)
    discloser = EncryptedTextField(max_length=500)
    recipient = EncryptedTextField(max_length=1000)
    purpose = EncryptedTextField(max_length=1000)
    expiry_event = EncryptedTextField(max_length=500, null=True, blank=True)
    required_statements = models.TextField(
        help_text=_("The statements shown above the signature, word for word."),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "submission"],
                                    name="release_authorization_submitted_once"),
        ]

    def __str__(self) -> str:
        return f"authorization {self.signature_id}"

    def __repr__(self) -> str:
        return f"<ReleaseAuthorization {self.id}>"


class SignerRole(models.TextChoices):
    GUARDIAN = "guardian", _("Guardian")
    PARTNER = "partner", _("Partner")
    CLINICIAN = "clinician", _("Clinician")
    CLIENT = "client", _("Client")


class SignerSetPurpose(models.TextChoices):
    """Why a consent has several signers: what the people waiting are told."""

    GUARDIANS = "guardians", _("Every guardian the practice requires")
    JOINT = "joint", _("Both partners of a couple")
    COUNTERSIGN = "countersign", _("The client, then a clinician's countersignature")


class SignerSet(models.Model):
    """One consent that needs several people's signatures on the same version: every
    required guardian of a child (joint custody), both partners of a couple (a release of
    their joint record), a client and a clinician countersigning.

    Decision: the set, not each signature, is the consent. It counts as signed only once
    every ``RequiredSigner`` has an active signature of ``version`` in it
    (``completed_at``); a withdrawal by any required signer withdraws the whole set
    (``withdrawn_at``, ``withdrawn_by``) and the others are told. Signing again after that
    starts a new set, which everyone signs again: a consent is one act of all its
    signers, never half of an old one and half of a new one. Who must sign is fixed when
    the set is made (the guardians the practice required then), so a later change of
    guardians never turns a complete consent into an incomplete one, or back.

    ``on_behalf_of``: whose consent it is when that person does not sign themself (a
    child; a guardianship's ``child``); a complete set counts, in the register and on the
    intake's gate, as that person's signature. Plaintext: ids, roles and times only; each
    signature's evidence is sealed under its own signer's key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT,
                                related_name="signer_sets")
    purpose = models.CharField(max_length=16, choices=SignerSetPurpose.choices)
    case = models.ForeignKey("portal.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            # One consent in progress or in force per person and version: two guardians
            # signing at once end up in the same set.
            models.UniqueConstraint(
                fields=["version", "on_behalf_of"],
                condition=models.Q(withdrawn_at__isnull=True, on_behalf_of__isnull=False),
                name="signer_set_one_open_per_person_and_version",
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_by__isnull=True)
                | models.Q(withdrawn_at__isnull=False),
                name="signer_set_withdrawn_by_only_when_withdrawn",
            ),
        ]

    def __str__(self) -> str:
        return f"signer set {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<SignerSet {self.id}>"

    @property
    def is_complete(self) -> bool:
        """Every required signer signed, and nobody withdrew."""
        return self.completed_at is not None and self.withdrawn_at is None

    @property
    def is_open(self) -> bool:
        """Still waiting for a signature (not complete, not withdrawn)."""
        return self.completed_at is None and self.withdrawn_at is None


class RequiredSigner(models.Model):
    """One person whose signature a ``SignerSet`` needs, in which capacity, and their
    signature once given.

    A clinician's countersignature is a place with no signer until one of the client's
    care team countersigns (``consents.countersign``): then ``signer`` names them and
    ``countersigned_at`` says when. Decision: it is not a ``ConsentSignature`` (no typed
    name, IP address or user agent): a clinician countersigns as a member of staff, by
    their account, and what identifies them is the practice's, not a client's to seal."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    signer_set = models.ForeignKey(SignerSet, on_delete=models.CASCADE,
                                   related_name="required_signers")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=16, choices=SignerRole.choices)
    signature = models.OneToOneField(ConsentSignature, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="required_as")
    countersigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("role", "id")
        constraints = [
            models.UniqueConstraint(fields=["signer_set", "signer"],
                                    name="required_signer_once_per_set"),
            # Only a clinician's place waits without a signer, and only it is countersigned.
            models.CheckConstraint(
                condition=models.Q(signer__isnull=False) | models.Q(role="clinician"),
                name="required_signer_named_unless_clinician",
            ),
            models.CheckConstraint(
                condition=models.Q(countersigned_at__isnull=True)
                | (models.Q(role="clinician") & models.Q(signer__isnull=False)),
                name="required_signer_countersigned_by_a_clinician",
            ),
        ]

    def __str__(self) -> str:
        return f"required signer {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<RequiredSigner {self.id} {self.role}>"

    @property
    def has_signed(self) -> bool:
        """An active signature of the set's version in it, or a clinician's countersignature."""
        if self.role == SignerRole.CLINICIAN:
            return self.countersigned_at is not None
        return (self.signature is not None and self.signature.withdrawn_at is None
                and self.signature.version_id == self.signer_set.version_id)
