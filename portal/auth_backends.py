"""Permissions and roles read in one query per request.

Django's ``ModelBackend`` reads a user's own permissions and their groups' permissions in two
queries, and the portal's roles (``portal.roles.roles_of``) read the groups in a third. Every
signed-in page asks all three, so ``PortalModelBackend`` reads them together, once per user
object (that is, once per request: the user is loaded fresh from the session each time).
Nothing is kept across requests, so a role taken away counts from the very next request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db.models import CharField, QuerySet, Value

from portal.compiled import CompiledQuery

# Attributes ModelBackend caches on the user object (its own names), and the portal's roles.
_USER_PERMS = "_user_perm_cache"
_GROUP_PERMS = "_group_perm_cache"
_ALL_PERMS = "_perm_cache"
GROUP_NAMES = "_portal_group_names"


def _permission_rows(user_id: Any) -> QuerySet[Any]:
    """Group name (None for the user's own), app label and codename: a row for each
    permission ``user_id`` holds, and a row for each of their groups without any."""
    text = CharField()
    from_groups = Group.objects.filter(user=user_id).values_list(
        "name", "permissions__content_type__app_label", "permissions__codename").order_by()
    own = Permission.objects.filter(user=user_id).values_list(
        Value(None, output_field=text), "content_type__app_label", "codename").order_by()
    return from_groups.union(own, all=True)


# The query above, compiled once per process (portal.compiled): it runs on every request.
def _user_pk() -> Any:
    return get_user_model()._meta.pk


PERMISSION_ROWS = CompiledQuery(_permission_rows, [("uuid", _user_pk)])
USER_BY_ID = CompiledQuery(lambda user_id: get_user_model()._default_manager.filter(pk=user_id),
                           [("uuid", _user_pk)])


def load_permissions(user: Any) -> None:
    """Read ``user``'s group names, their groups' permissions and their own permissions in
    one query, and cache them on this user object where ``ModelBackend`` and
    ``portal.roles.roles_of`` look for them. Superusers' permissions (all of them) are left
    to ``ModelBackend``; their group names are read here all the same."""
    names: set[str] = set()
    group_perms: set[str] = set()
    user_perms: set[str] = set()
    for group_name, app_label, codename in PERMISSION_ROWS.rows(user.pk):
        if group_name is not None:
            names.add(group_name)
        if codename is None:  # a group without permissions
            continue
        (group_perms if group_name is not None else user_perms).add(f"{app_label}.{codename}")
    setattr(user, GROUP_NAMES, frozenset(names))
    if user.is_superuser:
        return
    setattr(user, _USER_PERMS, user_perms)
    setattr(user, _GROUP_PERMS, group_perms)
    setattr(user, _ALL_PERMS, user_perms | group_perms)


def forget_permissions(user: Any) -> None:
    """Drop what ``load_permissions`` cached on this user object (after changing its groups),
    so the next question reads the database again."""
    for name in (_USER_PERMS, _GROUP_PERMS, _ALL_PERMS, GROUP_NAMES):
        user.__dict__.pop(name, None)


def group_names(user: Any) -> frozenset[str]:
    """The names of the groups ``user`` is in, read with their permissions (one query per
    user object)."""
    if not hasattr(user, GROUP_NAMES):
        load_permissions(user)
    return getattr(user, GROUP_NAMES)


class PortalModelBackend(ModelBackend):
    """``ModelBackend`` with a user's permissions (own and their groups') and group names read
    in one query (``load_permissions``). Same answers as ``ModelBackend``: inactive and
    anonymous users hold nothing, superusers hold every permission, object permissions are
    not supported."""

    def _ready(self, user_obj: AbstractBaseUser | AnonymousUser) -> bool:
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        if not getattr(user_obj, "is_superuser", False) and not hasattr(user_obj, _ALL_PERMS):
            load_permissions(user_obj)
        return True

    def get_user(self, user_id: Any) -> Any:
        """The active user ``user_id`` names (from the session), read by ``USER_BY_ID``;
        None for an id that names no one or an inactive account, as ``ModelBackend``."""
        found = USER_BY_ID.objects(user_id)
        if not found:
            return None
        return found[0] if self.user_can_authenticate(found[0]) else None

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """The user's own permissions (``load_permissions``)."""
        if obj is not None or not self._ready(user_obj):
            return set()
        return super().get_user_permissions(user_obj)

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """The permissions of the user's groups (``load_permissions``)."""
        if obj is not None or not self._ready(user_obj):
            return set()
        return super().get_group_permissions(user_obj)

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """Every permission the user holds (``load_permissions``)."""
        if obj is not None or not self._ready(user_obj):
            return set()
        return super().get_all_permissions(user_obj)
