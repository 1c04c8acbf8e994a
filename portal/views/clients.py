"""Client records: staff open a client's profile; a client sees who has opened theirs.

Opening a profile decrypts it, so it is recorded (``client.profile_viewed``) before the page
is rendered; the client list shows login emails only and decrypts nothing.
"""

from __future__ import annotations

from datetime import date

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.views.decorators.http import require_GET

from portal.access import clients_visible_to, get_client_for_staff, permission_or_404
from portal.audit.actions import Action
from portal.audit.selectors import record_access_for_client, with_client_safe_names
from portal.audit.service import record_event
from portal.crypto.errors import KeyDestroyedError
from portal.models import ClientProfile

CLIENTS_PER_PAGE = 50
ACCESS_PER_PAGE = 25

# What a staff member reads on a client's profile, in this order.
PROFILE_FIELDS = (
    ("legal_name", "Legal name"),
    ("preferred_name", "Preferred name"),
    ("pronouns", "Pronouns"),
    ("date_of_birth", "Date of birth"),
    ("phone", "Phone"),
    ("address", "Address"),
    ("emergency_contact_name", "Emergency contact"),
    ("emergency_contact_phone", "Emergency contact's phone"),
)


@require_GET
@permission_or_404("access_staff_pages")
def client_list(request: HttpRequest) -> HttpResponse:
    """The clients the user may open (all for admins, their caseload for clinicians), by
    login email. Nothing is decrypted here, so nothing is recorded."""
    clients = clients_visible_to(request.user).order_by("email")
    page = Paginator(clients, CLIENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/client_list.html", {"page": page})


def _shown(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return date_format(value, "M j, Y")
    return str(value)


def _read_profile(profile: ClientProfile) -> list[tuple[str, str | None]]:
    """Decrypt every field of the profile now, so the event is recorded after the values
    are known to open and before any of them reaches a template."""
    return [(label, _shown(getattr(profile, name))) for name, label in PROFILE_FIELDS]


@require_GET
@permission_or_404("access_staff_pages")
def client_profile(request: HttpRequest, client_id: str) -> HttpResponse:
    """One client's contact details, decrypted, for staff who may open them (404 for the
    rest, via ``get_client_for_staff``). Each opening is an audit event the client can see.

    A client who was erased has no readable details: the page says so and nothing is
    recorded, because nothing was decrypted.
    """
    client = get_client_for_staff(request.user, client_id)
    profile = ClientProfile.objects.filter(user=client).first()
    details: list[tuple[str, str | None]] | None = None
    erased = False
    if profile is not None:
        try:
            details = _read_profile(profile)
        except KeyDestroyedError:
            erased = True
    if not erased:
        record_event(
            Action.CLIENT_PROFILE_VIEWED,
            actor=request.user,
            subject=client,
            target=profile if profile is not None else client,
        )
    context = {"client": client, "details": details, "erased": erased}
    return render(request, "portal/client_profile.html", context)


@require_GET
@permission_or_404("access_client_pages")
def record_access(request: HttpRequest) -> HttpResponse:
    """The signed-in client's own "Who has opened my record": staff openings and exports of
    their record only, newest first, with each staff member's display name and role."""
    events = record_access_for_client(request.user)
    page = Paginator(events, ACCESS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "entries": with_client_safe_names(page.object_list)}
    return render(request, "portal/record_access.html", context)
