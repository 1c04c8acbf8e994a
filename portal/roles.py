"""Roles: client, clinician and practice admin, held as Django groups.

The groups and their permissions are created by a migration (``0002_roles``), so every
database, including each test database, has them. Code asks for a permission
(``user.has_perm``) when it decides access, and for a role only to choose a home page.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, Group
from django.utils.translation import gettext_lazy as _

from portal.auth_backends import forget_permissions, group_names
from portal.models import User


class Role(StrEnum):
    CLIENT = "client"
    CLINICIAN = "clinician"
    PRACTICE_ADMIN = "practice_admin"


# Translatable (lazy): read in the language of the page that shows them.
ROLE_LABELS = {
    Role.CLIENT: _("Client"),
    Role.CLINICIAN: _("Clinician"),
    Role.PRACTICE_ADMIN: _("Practice admin"),
}

# Permission codenames (app label "portal") each role's group holds. Each is named for the
# one thing it allows (``User.Meta.permissions``): a clinician sees only their caseload; a
# practice admin holds every capability.
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.CLIENT: ("access_client_pages",),
    Role.CLINICIAN: ("access_staff_pages",),
    Role.PRACTICE_ADMIN: (
        "access_staff_pages",
        "manage_invitations",
        "see_all_clients",
        "manage_consent_documents",
        "manage_care_teams",
        "erase_clients",
        "manage_practice_settings",
        "view_audit_log",
        "manage_outgoing_messages",
        "manage_questionnaires",
    ),
}


def roles_of(user: User | AnonymousUser) -> set[Role]:
    """The roles a signed-in user holds (empty for anonymous users)."""
    if not user.is_authenticated:
        return set()
    # Asked several times per request (middleware, context, views): the group names are read
    # with the user's permissions, in one query per user object (portal.auth_backends).
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        names = group_names(user)
        cached = frozenset(role for role in Role if role.value in names)
        user._portal_roles = cached  # type: ignore[attr-defined]  # a cache, not a field
    return set(cached)


def is_staff_member(user: User | AnonymousUser) -> bool:
    """Clinicians, practice admins, superusers and anyone allowed into the Django admin:
    the people who must use MFA.

    ``is_staff`` and superusers count even without a group, because the admin reaches data.
    """
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return bool(roles_of(user) & {Role.CLINICIAN, Role.PRACTICE_ADMIN})


def grant_role(user: User, role: Role) -> None:
    """Put ``user`` in the role's group (created by migration; never created here)."""
    user.groups.add(Group.objects.get(name=role.value))
    user.__dict__.pop("_portal_roles", None)
    forget_permissions(user)


def primary_role(user: User | AnonymousUser) -> Role | None:
    """The role whose home page the user lands on: admin, then clinician, then client."""
    held = roles_of(user)
    for role in (Role.PRACTICE_ADMIN, Role.CLINICIAN, Role.CLIENT):
        if role in held:
            return role
    return None
