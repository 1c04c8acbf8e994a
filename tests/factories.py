"""Factories for the people the tests need."""

from __future__ import annotations

from datetime import date
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
from portal.models import Case, PracticeSettings, User
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


# --- Couples and families (issue 17), built by the lead's services (clients.cases) -------


def couple_case(admin: User, *partners: User, secrets_policy: str = "") -> Case:
    """A couple case of ``partners`` (existing client accounts), ``secrets_policy`` blank
    following the practice's."""
    from clients.cases import case_create, case_participant_invite

    case = case_create(kind="couple", created_by=admin, secrets_policy=secrets_policy)
    for partner in partners:
        case_participant_invite(case=case, email=partner.email, role="partner", actor=admin)
    return case


def family_with_child(
    admin: User, *guardians: User, signs_for_child: tuple[bool, ...] = (),
    attested: bool = True, secrets_policy: str = "",
) -> tuple[Case, User]:
    """A family case with ``guardians`` (existing client accounts, role adult) and a child
    without an account, each guardian linked to the child (the practice requiring the
    signature of each, or as ``signs_for_child`` says) and, with ``attested``, having
    confirmed it. Returns the case and the child's record."""
    from clients.cases import (
        case_create,
        case_participant_invite,
        child_add,
        guardian_link,
        guardianship_attest,
    )

    case = case_create(kind="family", created_by=admin, secrets_policy=secrets_policy)
    minor = child_add(case=case, legal_name="Sam Child", date_of_birth=date(2018, 5, 1),
                      actor=admin)
    for index, guardian in enumerate(guardians):
        place = case_participant_invite(case=case, email=guardian.email, role="adult",
                                        actor=admin)
        link = guardian_link(case=case, guardian=place, minor=minor, relationship="Parent",
                             legal_authority="Joint legal custody",
                             signs_for_child=(signs_for_child[index]
                                              if index < len(signs_for_child) else True),
                             actor=admin)
        if attested:
            guardianship_attest(guardianship=link, by=guardian)
    assert minor.person is not None
    return case, minor.person


def adolescent_in_family(admin: User, case: Case, *guardians: User,
                         email: str = "teen@example.com") -> User:
    """An adolescent with their own client account in the family ``case``, aged 15, each
    of ``guardians`` (adults of the case) linked to them as a guardian who signs, and
    having confirmed it."""
    from clients.cases import case_participant_invite, guardian_link, guardianship_attest

    teen = UserFactory(role=Role.CLIENT, email=email)
    today = date.today()  # noqa: DTZ011 (an age in whole years; the zone does not matter)
    place = case_participant_invite(case=case, email=teen.email, role="adolescent",
                                    actor=admin, date_of_birth=date(today.year - 15, 1, 1))
    for guardian in guardians:
        guardian_place = case.participants.get(person=guardian)
        link = guardian_link(case=case, guardian=guardian_place, minor=place,
                             relationship="Parent", legal_authority="Joint legal custody",
                             signs_for_child=True, actor=admin)
        guardianship_attest(guardianship=link, by=guardian)
    return teen
