"""Platform models: accounts, the practice's settings and client invitations."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from portal.crypto.blind_index import BlindIndexField, blind_tokens, name_tokens
from portal.crypto.datakeys import OWNER_CLIENT, OWNER_PRACTICE
from portal.crypto.errors import KeyDestroyedError
from portal.crypto.fields import (
    EncryptedCharField,
    EncryptedDateField,
    EncryptedTextField,
)
from portal.crypto.models import EncryptedModel

DEFAULT_CRISIS_TEXT = (
    "If you are in crisis or thinking about ending your life, call or text 988 "
    "(the Suicide & Crisis Lifeline, US) or chat at 988lifeline.org. "
    "If you are in immediate danger, call 911 or go to your nearest emergency room. "
    "This portal is not monitored around the clock."
)


class UserManager(BaseUserManager["User"]):
    """Accounts are found by email; there is no username."""

    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a client, a clinician or a practice admin.

    The login email is plaintext because allauth must find the account and send mail to it.
    Nothing else a client tells us lives here: names, birth dates and contact details belong
    to the (encrypted) client record. ``display_name`` is for staff, shown to clients who ask
    who opened their record; clients leave it empty.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", max_length=254, unique=True)
    display_name = models.CharField(
        max_length=150, blank=True, help_text="Staff only: the name clients see."
    )
    is_staff = models.BooleanField(
        default=False, help_text="May sign in to the Django admin (superusers only in practice)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="portal_user_email_ci_unique"),
        ]
        permissions = [
            ("access_client_pages", "Can use the client pages"),
            ("access_staff_pages", "Can use the staff workspace"),
            ("manage_invitations", "Can invite clients and manage invitations"),
            ("manage_practice_settings", "Can change the practice's settings"),
            ("view_audit_log", "Can search and export the whole audit trail"),
        ]

    def __str__(self) -> str:
        # Never the email: str() reaches logs, admin breadcrumbs and error reports.
        return self.display_name or f"user {str(self.id)[:8]}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"


DOCUMENT_SETTING_HELP = " Used in the consent documents."


def _document_text(verbose_name: str, help_text: str, *, max_length: int = 120) -> Any:
    """A practice setting the consent documents quote, as words (blank until filled)."""
    return models.CharField(verbose_name, max_length=max_length, blank=True,
                            help_text=help_text + DOCUMENT_SETTING_HELP)


def _document_number(verbose_name: str, low: int, high: int, help_text: str) -> Any:
    """A practice setting the consent documents quote, as a whole number (empty until
    filled)."""
    return models.PositiveSmallIntegerField(
        verbose_name, null=True, blank=True,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        help_text=f"{help_text} From {low} to {high}.{DOCUMENT_SETTING_HELP}",
    )


class PracticeSettings(models.Model):
    """The one row of settings for the practice this deployment serves."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    name = models.CharField("practice name", max_length=120, default="Our practice")
    contact_email = models.EmailField("contact email", blank=True)
    contact_phone = models.CharField("contact phone", max_length=40, blank=True)
    address = models.TextField(
        "postal address", max_length=500, blank=True,
        help_text="Where clients can write to the practice.",
    )
    crisis_text = models.TextField(
        max_length=1000,
        default=DEFAULT_CRISIS_TEXT,
        help_text="Shown to clients on every page. Say how to get help right now.",
    )
    self_signup_enabled = models.BooleanField(
        default=False,
        help_text="Let people create an account without an invitation.",
    )
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
        help_text="Sign people out after this many minutes without activity (5 to 120).",
    )
    safety_alert_draft_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text="When an unsent intake raises a safety alert, email the care team after "
                  "this many hours (1 to 168).",
    )
    # What the consent documents say about the practice (``consents.placeholders`` puts
    # each into its placeholder when a version is drafted). Blank: the placeholder stays in
    # the draft, and publishing is refused until someone fills it in.
    paper_copy_fee = _document_text(
        "paper copy fee",
        'How "Paper copies are ..." ends, for example "free of charge" or "$1 per document".',
    )
    intake_fee = _document_text("intake assessment fee", "For example $180.")
    session_fee = _document_text("session fee", "For example $150.")
    session_minutes = _document_number(
        "session length in minutes", 10, 240, "How long a usual session lasts, for example 50.",
    )
    longer_session_fee = _document_text(
        "longer session fee", "For example $75 for each additional 25 minutes.",
    )
    letters_fee = _document_text(
        "letters and reports fee", "For letters, reports or forms clients ask for, for "
        "example $50 per letter.",
    )
    legal_hourly_fee = _document_text(
        "legal work fee per hour", "For court appearances and other legal work, per hour, "
        "for example $250.",
    )
    fee_change_notice_days = _document_number(
        "notice of fee changes in days", 1, 365,
        "How many days before a fee change clients are told, for example 30.",
    )
    payment_due = _document_text(
        "when payment is due", 'How "Payment is due ..." ends, for example "at the time of '
        'each session".',
    )
    payment_methods = _document_text(
        "payment methods", "For example cash, credit or debit card, HSA or FSA card.",
    )
    returned_check_fee = _document_text("returned check fee", "For example $25.")
    cancellation_notice_hours = _document_number(
        "cancellation notice in hours", 1, 168,
        "How many hours before a session a client must cancel, for example 24.",
    )
    late_cancellation_fee = _document_text(
        "late cancellation fee", "For a late cancellation or a missed session, for example "
        "$150.",
    )
    insurance_networks = _document_text(
        "insurance network status", 'How "<practice name> is ..." ends, for example "in '
        'network with Aetna and Cigna" or "not in network with any insurance plans".',
    )
    unpaid_balance_days = _document_number(
        "days before an unpaid balance is followed up", 1, 365, "For example 60.",
    )
    video_platform = _document_text(
        "video platform", "The video service used for telehealth sessions, for example "
        "Doxy.me.",
    )
    reconnect_minutes = _document_number(
        "minutes to reconnect a dropped video session", 1, 60,
        "After this many minutes the therapist calls the client, for example 10.",
    )
    practice_state = _document_text(
        "state", "The state whose law applies to the practice, for example Oregon.",
        max_length=60,
    )
    records_retention_years = _document_number(
        "years records are kept", 1, 100,
        "How many years records are kept after the last session, for example 7.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "practice settings"
        verbose_name_plural = "practice settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1), name="portal_practicesettings_singleton"
            ),
            models.CheckConstraint(
                condition=models.Q(idle_timeout_minutes__gte=5, idle_timeout_minutes__lte=120),
                name="portal_practicesettings_idle_timeout_range",
            ),
            models.CheckConstraint(
                condition=models.Q(safety_alert_draft_hours__gte=1,
                                   safety_alert_draft_hours__lte=168),
                name="portal_practicesettings_safety_alert_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def load(cls) -> PracticeSettings:
        """The settings row, created with defaults the first time it is needed."""
        settings_row, _ = cls.objects.get_or_create(pk=cls.SINGLETON_ID)
        return settings_row


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the client"
    ACCEPTED = "accepted", "Accepted"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class Invitation(models.Model):
    """An admin's invitation for one email address to create a client account.

    The link carries a signed token naming this row and a random nonce; only the SHA-256 of
    the nonce is stored, and resending replaces it, so every earlier link stops working.
    The email is plaintext because it becomes the client's login email.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(default=timezone.now)
    send_count = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    nonce_sha256 = models.CharField(max_length=64)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address: a second "invite" resends the first.
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="portal_invitation_one_open_per_email",
            ),
            models.CheckConstraint(
                condition=~models.Q(accepted_at__isnull=False, revoked_at__isnull=False),
                name="portal_invitation_not_accepted_and_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation {str(self.id)[:8]}"

    @property
    def status(self) -> InvitationStatus:
        if self.accepted_at:
            return InvitationStatus.ACCEPTED
        if self.revoked_at:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def is_open(self) -> bool:
        """Neither accepted nor revoked (it may still have expired and be resent)."""
        return self.accepted_at is None and self.revoked_at is None


class DataKeyOwnerKind(models.TextChoices):
    CLIENT = OWNER_CLIENT, "Client"
    PRACTICE = OWNER_PRACTICE, "Practice"


class DataKey(models.Model):
    """A random 256-bit key that encrypts one owner's fields, stored only wrapped.

    ``wrapped_key`` is the data key sealed by a master key (whose id ``master_key_id`` repeats
    for fast rotation queries) with associated data naming this row and its owner, so a
    wrapped key copied to another owner does not open. Destroying a key (crypto-shredding)
    empties ``wrapped_key``: every value encrypted under it is then unreadable for good,
    in backups too once they age out.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner_kind = models.CharField(max_length=16, choices=DataKeyOwnerKind.choices)
    owner_id = models.UUIDField(help_text="The client's user id, or all zeros for the practice.")
    wrapped_key = models.BinaryField(null=True, editable=False)
    master_key_id = models.CharField(max_length=36, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text="Replaced by a newer key; still opens old values."
    )
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_kind", "owner_id"],
                condition=models.Q(retired_at__isnull=True, destroyed_at__isnull=True),
                name="portal_datakey_one_active_per_owner",
            ),
            models.CheckConstraint(
                condition=models.Q(destroyed_at__isnull=True, wrapped_key__isnull=False)
                | models.Q(destroyed_at__isnull=False, wrapped_key__isnull=True),
                name="portal_datakey_destroyed_means_no_key",
            ),
        ]
        indexes = [models.Index(fields=["master_key_id"], name="portal_datakey_master_idx")]

    def __str__(self) -> str:
        return f"data key {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<DataKey {self.id} {self.owner_kind}>"


class ClientProfile(EncryptedModel):
    """Who a client is, in their own words. Everything they tell us here is encrypted under
    their own data key; the blind indexes let staff search by legal name, date of birth and
    phone without decrypting every row (see portal.crypto.blind_index)."""

    encryption_owner_field = "user"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="client_profile")
    legal_name = EncryptedCharField(max_length=200, null=True, blank=True)
    preferred_name = EncryptedCharField(max_length=100, null=True, blank=True)
    pronouns = EncryptedCharField(max_length=60, null=True, blank=True)
    date_of_birth = EncryptedDateField(null=True, blank=True)
    phone = EncryptedCharField(max_length=40, null=True, blank=True)
    address = EncryptedTextField(max_length=500, null=True, blank=True)
    emergency_contact_name = EncryptedCharField(max_length=200, null=True, blank=True)
    emergency_contact_phone = EncryptedCharField(max_length=40, null=True, blank=True)
    legal_name_bidx = BlindIndexField(source="legal_name", kind="name")
    date_of_birth_bidx = BlindIndexField(source="date_of_birth", kind="date")
    phone_bidx = BlindIndexField(source="phone", kind="phone")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"client profile {self.id.hex[:8]}"

    def __repr__(self) -> str:
        return f"<ClientProfile {self.id}>"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, and keep the legal name's word index (``ClientNameToken``) in step in the
        same transaction, unless ``update_fields`` leaves the legal name out."""
        update_fields = kwargs.get("update_fields")
        with transaction.atomic():
            adding = self._state.adding
            super().save(*args, **kwargs)
            if update_fields is None or "legal_name" in update_fields:
                ClientNameToken.sync_for(self, adding=adding)

    @classmethod
    def rebuild_blind_tokens(cls, rows: list[ClientProfile]) -> None:
        """Called by ``rebuild_blind_indexes`` for each batch (inside its key scope)."""
        ClientNameToken.replace_for(rows)


class ClientNameToken(models.Model):
    """One word of a client's legal name, as a blind index: staff find a client by a family
    or first name alone (``portal.client_list.client_search``) without decrypting anyone.

    ``token`` is the first 16 bits, in hex, of an HMAC-SHA256 of the normalised word
    (``name_tokens``: case, accents and punctuation dropped) under a key of its own, derived
    from ``PORTAL_BLIND_INDEX_KEY``; the word itself is never stored. A match is only a
    candidate: the search decrypts the candidate's legal name and compares it with what was
    typed. What the rows reveal to someone holding the database: how many words a client's
    name has (one row each) and which clients share a word bucket, e.g. a family name
    (docs/key-management.md). Written whenever the profile's legal name is saved, rebuilt by
    ``rebuild_blind_indexes``, deleted with the profile and by ``client_erase``.
    """

    INDEX_NAME = "portal.clientprofile.legal_name.tokens"
    BITS = 16

    profile = models.ForeignKey(ClientProfile, on_delete=models.CASCADE,
                                related_name="name_tokens")
    token = models.CharField(max_length=BITS // 4, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "token"], name="client_name_token_once"),
        ]
        # A search reads token -> profile only: the index answers it on its own.
        indexes = [models.Index(fields=["token", "profile"], name="client_name_token_lookup")]

    def __str__(self) -> str:
        return f"name token {self.pk}"

    @classmethod
    def digests(cls, tokens: set[str]) -> set[str]:
        """The stored form of normalised name words (``name_tokens``/``search_tokens``)."""
        return blind_tokens(cls.INDEX_NAME, tokens, cls.BITS)

    @classmethod
    def _digests_of(cls, profile: ClientProfile) -> set[str]:
        """The digests ``profile``'s legal name should have; none for an erased client
        (their key is gone, and their indexes must be too) or an empty name."""
        try:
            legal_name = profile.legal_name
        except KeyDestroyedError:
            return set()
        return cls.digests(name_tokens(legal_name)) if legal_name else set()

    @classmethod
    def sync_for(cls, profile: ClientProfile, *, adding: bool = False) -> None:
        """Make ``profile``'s rows match its legal name: nothing written when they already
        do (one read), the old rows replaced when it changed (a rename no longer finds
        the client by the old name)."""
        wanted = cls._digests_of(profile)
        rows = cls.objects.filter(profile=profile)
        if not adding:
            if set(rows.values_list("token", flat=True)) == wanted:
                return
            rows.delete()
        cls.objects.bulk_create([cls(profile=profile, token=token) for token in sorted(wanted)])

    @classmethod
    def replace_for(cls, profiles: list[ClientProfile]) -> int:
        """Rewrite the rows of a batch of profiles (a rebuild after a key or normaliser
        change): two queries for the batch. Returns the number of rows written."""
        rows = [cls(profile=profile, token=token)
                for profile in profiles for token in sorted(cls._digests_of(profile))]
        cls.objects.filter(profile__in=[profile.pk for profile in profiles]).delete()
        cls.objects.bulk_create(rows)
        return len(rows)


class KeyRotationRun(models.Model):
    """One ``rotate_keys --reencrypt`` run. An unfinished run is resumed, with its original
    cut-off, by the next invocation, so owners already re-encrypted are not done twice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    owners_done = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"key rotation {self.started_at:%Y-%m-%d %H:%M}"


class CareAssignment(models.Model):
    """A clinician on a client's care team. Being assigned is what lets a clinician open
    the client's record (and see its audit events); practice admins see every client."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(User, on_delete=models.CASCADE, related_name="care_team_links")
    clinician = models.ForeignKey(User, on_delete=models.CASCADE, related_name="caseload_links")
    assigned_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "clinician"], name="care_assignment_once"),
        ]

    def __str__(self) -> str:
        return f"care assignment {self.id.hex[:8]}"


# The audit trail's tables belong to this app; their code lives in portal.audit.
from portal.audit.models import AuditAlert, AuditChainHead, AuditEvent  # noqa: E402, F401
