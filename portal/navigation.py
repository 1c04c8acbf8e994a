"""The top navigation: the main sections a role works in, and which one a page belongs to.

Staff see the sections their permissions open, and no others: a clinician Intakes, Clients
and the Audit trail; a practice admin also Consents, Invitations, Outgoing messages and
Practice settings (the same permissions the views check, so a link is never shown to a page
that would 404). A page belongs to a section when its path lies under the section's
address, so an intake's own page still marks "Intakes" as where you are. The brand link is
the way home.

URLs are looked up by name: the platform imports no feature app to build its menu.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from portal.models import User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class NavItem:
    label: StrOrPromise  # translatable: read in the page's language
    url: str
    current: bool


# (label, URL name, the permission the section's pages require), in menu order.
STAFF_SECTIONS: tuple[tuple[StrOrPromise, str, str], ...] = (
    (_("Intakes"), "staff_intake_list", "portal.access_staff_pages"),
    (_("Clients"), "client_list", "portal.access_staff_pages"),
    (_("Cases"), "case_list", "portal.access_staff_pages"),
    (_("Scores"), "measures_caseload", "portal.access_staff_pages"),
    (_("Consents"), "consent_dashboard", "portal.manage_consent_documents"),
    (_("Invitations"), "invitation_list", "portal.manage_invitations"),
    (_("Audit trail"), "audit_log", "portal.access_staff_pages"),
    (_("Outgoing messages"), "outgoing_messages", "portal.manage_outgoing_messages"),
    (_("Practice settings"), "practice_settings", "portal.manage_practice_settings"),
)

# A staff member's own settings: sign-in security, email, password and their name.
STAFF_ACCOUNT_PATHS = ("/accounts/", "/staff/name/")

# (label, URL name, paths that belong to it): the client's menu.
CLIENT_SECTIONS: tuple[tuple[StrOrPromise, str, tuple[str, ...]], ...] = (
    (_("Home"), "client_home", ()),
    (_("My progress"), "measures_progress", ()),
    (_("Account security"), "mfa_index", ()),
    (_("Email"), "account_email", ()),
    (_("Password"), "account_change_password", ("/accounts/password/",)),
)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or (prefix.endswith("/") and path.startswith(prefix))


def staff_sections(user: User | AnonymousUser, path: str) -> list[NavItem]:
    """The sections ``user`` may open, each marked current when ``path`` lies under it.
    Sections whose app is not installed (no URL) are left out rather than failing the page."""
    items = []
    for label, url_name, permission in STAFF_SECTIONS:
        if not user.has_perm(permission):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append(NavItem(label, url, _under(path, url)))
    return items


def staff_account_item(path: str) -> NavItem:
    """The staff member's own account (two-factor, email, password, name)."""
    return NavItem(_("Your account"), reverse("mfa_index"),
                   any(_under(path, prefix) for prefix in STAFF_ACCOUNT_PATHS))


def client_sections(path: str) -> list[NavItem]:
    """The client's menu: home (their details and record-access pages belong to it) and
    their account's settings."""
    items = []
    for label, url_name, extra in CLIENT_SECTIONS:
        url = reverse(url_name)
        current = _under(path, url) or any(_under(path, prefix) for prefix in extra)
        items.append(NavItem(label, url, current))
    return items
