"""Client records: staff open a client's profile; a client sees who has opened theirs.

Opening a profile decrypts it, so it is recorded (``client.profile_viewed``) before the page
is rendered; the client list shows login emails and workflow states only and decrypts
nothing, and searching it is recorded (``client.searched``) because the search decrypts.
"""

from __future__ import annotations

from datetime import date

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from portal.access import clients_visible_to, get_client_for_staff, permission_or_404
from portal.audit.actions import Action
from portal.audit.selectors import record_access_for_client, with_client_safe_names
from portal.audit.service import record_event
from portal.client_list import (
    BY_AUTO,
    ClientSearchForm,
    client_rows,
    client_search,
    clients_for_list,
    open_invitation_count,
)
from portal.client_record import client_record
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


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("q")
@permission_or_404("access_staff_pages")
def client_list(request: HttpRequest) -> HttpResponse:
    """The clients the user may open (all for practice admins, their caseload for
    clinicians): safety alerts no one has acknowledged first, then by login email, 50 a page,
    each with its account, invitation, intake and consent status. Listing decrypts nothing,
    so it records nothing.

    Searching (legal name, date of birth or phone) is a POST, answered with the results on
    this page, never a redirect: the term is personal data, and a GET form or a redirect
    would put it in the URL, where it reaches browser history, proxy and server access logs
    and the Referer of the next request (and a redirect that kept the term in the session
    instead would copy it into the session store). CSRF-protected like any form, and
    ``sensitive_post_parameters`` keeps it out of error reports. A search decrypts the
    searched field of the candidates, so a valid one is recorded (``client.searched``: what
    was searched and how many clients were found, never the term) before the results are
    rendered. An invalid one decrypts nothing, records nothing and says what to fix.
    Search results are not paginated: past one page, the page asks for a narrower search.
    """
    visible = clients_visible_to(request.user)
    form = ClientSearchForm(request.POST if request.method == "POST" else None,
                            initial={"by": BY_AUTO})
    searched = False
    if form.is_bound and form.is_valid():
        kind = form.cleaned_data["kind"]
        found = client_search(viewer=request.user, kind=kind, value=form.cleaned_data["value"])
        record_event(Action.CLIENT_SEARCHED, actor=request.user,
                     detail={"by": kind, "results": len(found)})
        visible = visible.filter(pk__in=found)
        searched = True
    paginator = Paginator(clients_for_list(visible), CLIENTS_PER_PAGE)
    page = paginator.page(1) if form.is_bound else paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": client_rows(page.object_list),
        "searched": searched,
        "open_invitations": (open_invitation_count()
                             if request.user.has_perm("portal.manage_invitations") else 0),
    }
    return render(request, "portal/client_list.html", context)


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
    manages = request.user.has_perm("portal.manage_invitations")
    context = {
        "client": client,
        "details": details,
        "erased": erased,
        "manages": manages,
        "record": client_record(request.user, client, manages_care_team=manages),
    }
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
