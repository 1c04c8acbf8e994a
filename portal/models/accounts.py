"""Accounts: a person who signs in, found by login email."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


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
    language = models.CharField(
        max_length=16, blank=True,
        help_text="The language this person reads the portal, emails and PDFs in "
                  "(settings.LANGUAGES); empty means the practice's default.",
    )
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
            ("see_all_clients", "Can see every client of the practice"),
            ("manage_consent_documents",
             "Can draft and publish consent documents and chase signatures"),
            ("manage_care_teams", "Can change the care team of any client"),
            ("erase_clients", "Can erase a client by destroying their keys"),
            ("manage_practice_settings", "Can change the practice's settings"),
            ("view_audit_log", "Can search and export the whole audit trail"),
            ("manage_outgoing_messages",
             "Can see emails the portal could not send, and send them again"),
            ("manage_questionnaires",
             "Can draft and publish the intake questionnaires and choose who answers which"),
        ]

    def __str__(self) -> str:
        # Never the email: str() reaches logs, admin breadcrumbs and error reports.
        return self.display_name or f"user {str(self.id)[:8]}"

    def __repr__(self) -> str:
        return f"<User {self.id}>"
