"""Platform models: accounts, the practice's settings and client invitations."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

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
        ]

    def __str__(self) -> str:
        # Never the email: str() reaches logs, admin breadcrumbs and error reports.
        return self.display_name or f"user {str(self.id)[:8]}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class PracticeSettings(models.Model):
    """The one row of settings for the practice this deployment serves."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    name = models.CharField(max_length=120, default="Our practice")
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(max_length=500, blank=True)
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
