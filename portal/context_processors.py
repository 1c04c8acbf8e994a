"""Template context every page needs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.i18n.languages import offered_languages
from portal.middleware import idle_seconds_left
from portal.navigation import client_sections, staff_account_item, staff_sections
from portal.practice import practice_for
from portal.roles import ROLE_LABELS, Role, is_staff_member, primary_role


def portal(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)  # none before the auth middleware ran
    signed_in = bool(user and user.is_authenticated)
    role = primary_role(user) if signed_in else None
    staff = signed_in and is_staff_member(user)
    path = request.path
    if staff:
        nav_sections, nav_account = staff_sections(user, path), staff_account_item(path)
    elif role == Role.CLIENT:
        nav_sections, nav_account = client_sections(path), None
    else:
        nav_sections, nav_account = [], None
    return {
        "practice": practice_for(request),
        "user_role": role.value if role else None,
        "user_role_label": ROLE_LABELS.get(role, "") if role else "",
        "is_staff_member": staff,
        "show_quick_exit": not staff,
        # The top menu: the role's sections, the current one marked (portal/navigation.py).
        "nav_sections": nav_sections,
        "nav_account": nav_account,
        "quick_exit_url": settings.QUICK_EXIT_URL,
        # The language buttons: each language named in its own words (portal.i18n).
        "offered_languages": offered_languages(),
        "idle_timeout_seconds": (
            practice_for(request).idle_timeout_minutes * 60 if signed_in else None
        ),
        "idle_seconds_left": idle_seconds_left(request) if signed_in else None,
    }
