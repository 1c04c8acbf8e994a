"""Factories for the people the tests need."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from demo.management.commands.seed_demo import DEMO_PRACTICE_SETTINGS
from portal.audit.actions import Action
from portal.audit.service import record_event
from portal.models import PracticeSettings, User
from portal.roles import Role, grant_role

PASSWORD = "Calm-harbour-lantern-42"


@cache
def _password_hash() -> str:
    # Hashed once with the real first hasher (Argon2), then shared: fast and still real.
    return make_password(PASSWORD)


class UserFactory(DjangoModelFactory[User]):
    if TYPE_CHECKING:
        # Calling the factory class creates and returns a User (factory_boy's metaclass
        # __call__ does it), but its untyped BaseFactory.__new__ makes mypy see a
        # UserFactory; mypy rejects a __new__ returning another type, hence the ignore.
        def __new__(cls, *args: Any, **kwargs: Any) -> User: ...  # type: ignore[misc]

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    password = factory.LazyFunction(_password_hash)

    @factory.post_generation
    def role(obj: User, create: bool, extracted: Role | None, **kwargs: Any) -> None:
        if extracted:
            grant_role(obj, extracted)

    @factory.post_generation
    def verified(obj: User, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        EmailAddress.objects.create(
            user=obj, email=obj.email, primary=True, verified=extracted is not False
        )

    @factory.post_generation
    def totp(obj: User, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        """With ``totp=True`` the user has an authenticator app; its secret is kept on the
        instance (read it with ``totp_secret_of``) so tests can compute codes like the app
        would."""
        remember_totp_secret(obj, "")
        if extracted:
            secret = generate_totp_secret()
            remember_totp_secret(obj, secret)
            TOTP.activate(obj, secret)
            RecoveryCodes.activate(obj)


# The instance attribute holding the authenticator secret a test knows for a user. User has
# no such field, so it is reached only through the two typed helpers below.
_TOTP_SECRET_ATTRIBUTE = "totp_secret"


def remember_totp_secret(user: User, secret: str) -> None:
    """Keep ``secret`` (the plaintext authenticator key, test-only) on this ``user``
    instance, so ``totp_secret_of`` can compute codes for it; "" means no authenticator."""
    setattr(user, _TOTP_SECRET_ATTRIBUTE, secret)


def totp_secret_of(user: User) -> str:
    """The authenticator secret the factory (or ``remember_totp_secret``) kept on this
    ``user`` instance; "" for a user without an authenticator app or not made here."""
    secret = getattr(user, _TOTP_SECRET_ATTRIBUTE, "")
    assert isinstance(secret, str)
    return secret


def record_audit_events(count: int) -> None:
    """``count`` system events on the audit chain (key rotations), each numbered in its
    detail."""
    for number in range(count):
        record_event(Action.KEYS_ROTATED, actor=None,
                     detail={"rewrapped": number, "master_key_id": "k1"})


def fill_practice_settings() -> PracticeSettings:
    """The practice with every setting the consent documents quote filled in (the demo
    practice's values, from seed_demo), so the shipped documents can be published."""
    practice = PracticeSettings.load()
    for name, value in DEMO_PRACTICE_SETTINGS.items():
        setattr(practice, name, value)
    practice.save()
    return practice
